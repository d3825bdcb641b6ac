using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// How a grain that owns one entry of an environment's catalog (a model, an API key) stores it and
/// keeps the catalog in step: its own state is written first and the catalog updated after, so a
/// re-sent request repairs a catalog left stale by a crash between the two.
/// </summary>
internal sealed class CatalogEntry<T>(
    Grain grain,
    IGrainFactory grains,
    IPersistentState<DefinitionState<T>> state,
    string kind,
    Func<T, string> environmentOf,
    Func<IEnvironmentGrain, string, T, Task> upsert,
    Func<IEnvironmentGrain, string, Task> remove)
    where T : class
{
    private string Id => grain.GetPrimaryKeyString();

    /// <summary>Stores <paramref name="definition"/> and puts it in its environment's catalog (out of a previous one).</summary>
    public async Task PutAsync(T definition)
    {
        var previous = state.State.Definition;
        var moved = previous is not null && environmentOf(previous) != environmentOf(definition);
        if (moved)
        {
            await ThrowWhenOrgsDifferAsync(environmentOf(previous!), environmentOf(definition));
        }

        state.State.Definition = definition;
        await state.WriteOrResetAsync(grain);
        if (moved)
        {
            await remove(Environment(previous!), Id);
        }

        try
        {
            await upsert(Environment(definition), Id, definition);
        }
        catch (DefinitionConflictException)
        {
            // The environment was deleted after the admin API looked it up: the entry goes back to what it was.
            state.State.Definition = previous;
            await state.WriteOrResetAsync(grain);
            if (moved)
            {
                await upsert(Environment(previous!), Id, previous!);
            }

            throw;
        }
    }

    /// <summary>Out of the catalog first, so a crash before the write below leaves an entry a repeated DELETE completes.</summary>
    public async Task<bool> DeleteAsync(Action<T>? beforeClearing = null)
    {
        if (state.State.Definition is not { } definition)
        {
            return false;
        }

        await remove(Environment(definition), Id);
        beforeClearing?.Invoke(definition);
        state.State.Definition = null;
        await state.WriteOrResetAsync(grain);
        return true;
    }

    private IEnvironmentGrain Environment(T definition) => grains.GetGrain<IEnvironmentGrain>(environmentOf(definition));

    private async Task ThrowWhenOrgsDifferAsync(string from, string to)
    {
        var fromOrg = (await grains.GetGrain<IEnvironmentGrain>(from).GetEnvironmentAsync())?.OrgId;
        var toOrg = (await grains.GetGrain<IEnvironmentGrain>(to).GetEnvironmentAsync())?.OrgId;
        if (fromOrg is not null && toOrg is not null && fromOrg != toOrg)
        {
            throw new DefinitionConflictException(
                $"{kind} '{Id}' belongs to environment '{from}' of org '{fromOrg}' and cannot move to environment '{to}' of org '{toOrg}'");
        }
    }
}
