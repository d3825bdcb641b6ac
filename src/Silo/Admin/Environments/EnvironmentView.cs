namespace BudgetCluster.Silo.Admin.Environments;

/// <summary>An environment as the admin API shows it.</summary>
public sealed record EnvironmentView(string EnvironmentId, string OrgId, string Name);
