namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>An API key's bindings. Key: <c>api_key_id</c>.</summary>
[Alias("budgetcluster.api-key")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates or replaces the bindings and publishes them to the environment's catalog.
    /// Idempotent; durable when it returns.
    /// </summary>
    [Alias("put-api-key")]
    Task PutApiKeyAsync(ApiKeyBinding binding);

    /// <summary>The bindings, or null when the key was never registered.</summary>
    [Alias("get-api-key")]
    Task<ApiKeyBinding?> GetApiKeyAsync();
}
