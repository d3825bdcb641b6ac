using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An API key's bindings. State: the binding, written on every change before the call returns;
/// the environment's catalog is then updated (<see cref="CatalogEntry{T}"/>), so a re-sent PUT
/// repairs a stale catalog.
/// </summary>
[GrainType("api-key")]
internal sealed class ApiKeyGrain : Grain, IApiKeyGrain
{
    private readonly IPersistentState<DefinitionState<ApiKeyBinding>> _state;
    private readonly CatalogEntry<ApiKeyBinding> _entry;

    public ApiKeyGrain([PersistentState("api-key", GrainStorageNames.Default)] IPersistentState<DefinitionState<ApiKeyBinding>> state, IGrainFactory grains)
    {
        _state = state;
        _entry = new CatalogEntry<ApiKeyBinding>(
            this,
            grains,
            state,
            "API key",
            binding => binding.EnvironmentId,
            (environment, id, binding) => environment.UpsertApiKeyAsync(id, binding),
            (environment, id) => environment.RemoveApiKeyAsync(id));
    }

    public Task PutApiKeyAsync(ApiKeyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return _entry.PutAsync(binding);
    }

    public Task<bool> DeleteApiKeyAsync() => _entry.DeleteAsync();

    public Task<ApiKeyBinding?> GetApiKeyAsync() => Task.FromResult(_state.State.Definition);
}
