namespace BudgetCluster.Silo.Admin.Orgs;

/// <summary>An organization as the admin API shows it.</summary>
public sealed record OrgView(string OrgId, string Name, string FailMode);
