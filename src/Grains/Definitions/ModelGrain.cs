using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// A model and its pricing. State: the definition, written on every change before the call
/// returns; the environment's catalog is then updated (<see cref="CatalogEntry{T}"/>), so a
/// re-sent PUT repairs a catalog left stale by a crash between the two. A deleted model keeps its
/// last price version, so one created again under the same id never reuses a version number
/// that stored ledger rows already carry.
/// </summary>
[GrainType("model")]
internal sealed class ModelGrain : Grain, IModelGrain
{
    private readonly IPersistentState<DefinitionState<ModelDefinition>> _state;
    private readonly CatalogEntry<ModelDefinition> _entry;

    public ModelGrain([PersistentState("model", GrainStorageNames.Default)] IPersistentState<DefinitionState<ModelDefinition>> state, IGrainFactory grains)
    {
        _state = state;
        _entry = new CatalogEntry<ModelDefinition>(
            this,
            grains,
            state,
            "model",
            model => model.EnvironmentId,
            (environment, id, model) => environment.UpsertModelAsync(id, model),
            (environment, id) => environment.RemoveModelAsync(id));
    }

    public Task PutModelAsync(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        // The version is the grain's to number: it moves only when the price does.
        var previous = _state.State.Definition;
        return _entry.PutAsync(definition with
        {
            PriceVersion = previous is null
                ? _state.State.DeletedVersion + 1
                : previous.Pricing == definition.Pricing ? previous.PriceVersion : previous.PriceVersion + 1,
        });
    }

    public Task<bool> DeleteModelAsync() => _entry.DeleteAsync(model => _state.State.DeletedVersion = model.PriceVersion);

    public Task<ModelDefinition?> GetModelAsync() => Task.FromResult(_state.State.Definition);
}
