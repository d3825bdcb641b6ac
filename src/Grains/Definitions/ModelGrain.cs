using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// A model and its pricing. State: the definition, written on every change before the call
/// returns; the environment's catalog is then updated, so a re-sent PUT repairs a catalog left
/// stale by a crash between the two.
/// </summary>
[GrainType("model")]
internal sealed class ModelGrain(
    [PersistentState("model", GrainStorageNames.Default)] IPersistentState<DefinitionState<ModelDefinition>> state)
    : Grain, IModelGrain
{
    public async Task PutModelAsync(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var modelId = this.GetPrimaryKeyString();
        var previous = state.State.Definition;
        // The version is the grain's to number: it moves only when the price does.
        definition = definition with
        {
            PriceVersion = previous is null ? 1 : previous.Pricing == definition.Pricing ? previous.PriceVersion : previous.PriceVersion + 1,
        };
        state.State.Definition = definition;
        await state.WriteOrResetAsync(this);

        if (previous is not null && previous.EnvironmentId != definition.EnvironmentId)
        {
            await GrainFactory.GetGrain<IEnvironmentGrain>(previous.EnvironmentId).RemoveModelAsync(modelId);
        }

        await GrainFactory.GetGrain<IEnvironmentGrain>(definition.EnvironmentId).UpsertModelAsync(modelId, definition);
    }

    public Task<ModelDefinition?> GetModelAsync() => Task.FromResult(state.State.Definition);
}
