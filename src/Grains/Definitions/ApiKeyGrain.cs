using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An API key's bindings. State: the binding, written on every change before the call returns;
/// the environment's catalog is then updated, so a re-sent PUT repairs a stale catalog.
/// </summary>
[GrainType("api-key")]
internal sealed class ApiKeyGrain(
    [PersistentState("api-key", GrainStorageNames.Default)] IPersistentState<DefinitionState<ApiKeyBinding>> state)
    : Grain, IApiKeyGrain
{
    public async Task PutApiKeyAsync(ApiKeyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var apiKeyId = this.GetPrimaryKeyString();
        var previous = state.State.Definition;
        state.State.Definition = binding;
        await state.WriteOrResetAsync(this);

        if (previous is not null && previous.EnvironmentId != binding.EnvironmentId)
        {
            await GrainFactory.GetGrain<IEnvironmentGrain>(previous.EnvironmentId).RemoveApiKeyAsync(apiKeyId);
        }

        await GrainFactory.GetGrain<IEnvironmentGrain>(binding.EnvironmentId).UpsertApiKeyAsync(apiKeyId, binding);
    }

    public Task<ApiKeyBinding?> GetApiKeyAsync() => Task.FromResult(state.State.Definition);
}
