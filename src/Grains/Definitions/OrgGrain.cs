using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>An organization. State: its definition, written on every change before the call returns.</summary>
[GrainType("org")]
internal sealed class OrgGrain(
    [PersistentState("org", GrainStorageNames.Default)] IPersistentState<DefinitionState<OrgDefinition>> state)
    : Grain, IOrgGrain
{
    public async Task PutOrgAsync(OrgDefinition definition)
    {
        if (definition == state.State.Definition)
        {
            return;
        }

        state.State.Definition = definition;
        await state.WriteStateAsync();
    }

    public Task<OrgDefinition?> GetOrgAsync() => Task.FromResult(state.State.Definition);
}
