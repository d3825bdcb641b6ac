namespace BudgetCluster.Silo.Admin.Orgs;

/// <summary><c>PUT /orgs/{org_id}</c> body.</summary>
public sealed class OrgBody
{
    public string? Name { get; set; }
    public string? FailMode { get; set; }
    public string? BillingTimeZone { get; set; }
}
