namespace BudgetCluster.Silo.Admin.ApiKeys;

/// <summary>An API key's bindings as the admin API shows them.</summary>
public sealed record ApiKeyView(string ApiKeyId, string EnvironmentId, string? TeamId, string? UserId);
