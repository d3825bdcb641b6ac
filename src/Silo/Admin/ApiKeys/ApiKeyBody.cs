namespace BudgetCluster.Silo.Admin.ApiKeys;

/// <summary><c>PUT /api-keys/{api_key_id}</c> body.</summary>
public sealed class ApiKeyBody
{
    public string? EnvironmentId { get; set; }
    public string? TeamId { get; set; }
    public string? UserId { get; set; }
}
