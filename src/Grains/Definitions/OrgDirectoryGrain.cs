using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// The ids of every organization (<see cref="IOrgDirectoryGrain"/>). State: the sorted set of ids,
/// written on every change before the call returns. It calls no grain, so an org can call it
/// from inside any of its own calls.
/// </summary>
[GrainType("org-directory")]
internal sealed class OrgDirectoryGrain(
    [PersistentState("org-directory", GrainStorageNames.Default)] IPersistentState<DefinitionState<SortedSet<string>>> state)
    : Grain, IOrgDirectoryGrain
{
    private SortedSet<string> Ids => state.State.Definition ??= new SortedSet<string>(StringComparer.Ordinal);

    public async Task AddAsync(string orgId)
    {
        if (Ids.Add(orgId))
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public async Task RemoveAsync(string orgId)
    {
        if (Ids.Remove(orgId))
        {
            await state.WriteOrResetAsync(this);
        }
    }

    public Task<DefinitionPage<string>> ListAsync(string? after, int limit) =>
        Task.FromResult(DefinitionPaging.OfIds(Ids, after, limit));
}
