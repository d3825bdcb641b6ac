using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// A model and its price timeline. State: the definition with every price version, written on
/// every change before the call returns; the environment's catalog is then updated (<see cref="CatalogEntry{T}"/>), so a
/// re-sent PUT repairs a catalog left stale by a crash between the two. A deleted model keeps its
/// last price version, so one created again under the same id never reuses a version number
/// that stored ledger rows already carry.
/// </summary>
[GrainType("model")]
internal sealed class ModelGrain : Grain, IModelGrain
{
    private readonly IPersistentState<DefinitionState<ModelDefinition>> _state;
    private readonly CatalogEntry<ModelDefinition> _entry;
    private readonly TimeProvider _time;

    public ModelGrain(
        [PersistentState("model", GrainStorageNames.Default)] IPersistentState<DefinitionState<ModelDefinition>> state,
        IGrainFactory grains,
        TimeProvider time)
    {
        _state = state;
        _time = time;
        _entry = new CatalogEntry<ModelDefinition>(
            this,
            grains,
            state,
            "model",
            model => model.EnvironmentId,
            (environment, id, model) => environment.UpsertModelAsync(id, model),
            (environment, id) => environment.RemoveModelAsync(id));
    }

    public async Task<ModelDefinition> PutModelAsync(ModelPut request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The timeline is the grain's to keep: versions move only when a price does.
        var stored = PriceHistory.Put(
            _state.State.Definition, _state.State.DeletedVersion, request.Definition, request.EffectiveFrom, _time.GetUtcNow());
        await _entry.PutAsync(stored);
        return stored;
    }

    public Task<bool> DeleteModelAsync() => _entry.DeleteAsync(model => _state.State.DeletedVersion = model.Timeline.Max(price => price.Version));

    public Task<ModelDefinition?> GetModelAsync() => Task.FromResult(_state.State.Definition);
}
