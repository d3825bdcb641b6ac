namespace BudgetCluster.Silo.Admin.Orgs;

/// <summary>An organization as the admin API shows it; <c>billing_time_zone</c> is the calendar of its statements.</summary>
public sealed record OrgView(string OrgId, string Name, string FailMode, string BillingTimeZone);
