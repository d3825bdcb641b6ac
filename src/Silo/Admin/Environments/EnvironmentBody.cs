namespace BudgetCluster.Silo.Admin.Environments;

/// <summary><c>PUT /environments/{environment_id}</c> body.</summary>
public sealed class EnvironmentBody
{
    public string? OrgId { get; set; }
    public string? Name { get; set; }
}
