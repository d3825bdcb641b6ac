namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>An API key's bindings. Key: <c>api_key_id</c>.</summary>
[Alias("budgetcluster.api-key")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates or replaces the bindings and publishes them to the environment's catalog.
    /// Idempotent; durable when it returns.
    /// Throws <see cref="DefinitionConflictException"/> when the move would take it to an environment of another org.
    /// </summary>
    [Alias("put-api-key")]
    Task PutApiKeyAsync(ApiKeyBinding binding);

    /// <summary>
    /// Deletes the API key: out of its environment's catalog first (later events with its id are
    /// unbound), then here. False when it does not exist; idempotent.
    /// </summary>
    [Alias("delete-api-key")]
    Task<bool> DeleteApiKeyAsync();

    /// <summary>The bindings, or null when the key was never registered.</summary>
    [Alias("get-api-key")]
    Task<ApiKeyBinding?> GetApiKeyAsync();
}
