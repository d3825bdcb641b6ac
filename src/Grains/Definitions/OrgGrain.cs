using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Storage;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An organization, its environments and its budget registry. State (<see cref="OrgState"/>) is
/// written on every change before the call returns; then the new <see cref="OrgSettings"/> are
/// pushed to every environment, which pushes them on to its gateways.
/// </summary>
[GrainType("org")]
internal sealed class OrgGrain(
    [PersistentState("org", GrainStorageNames.Default)] IPersistentState<OrgState> state)
    : Grain, IOrgGrain
{
    private OrgSettings? _settings;

    private OrgSettings Settings => _settings ??= new OrgSettings
    {
        Version = state.State.SettingsVersion,
        FailMode = state.State.Definition?.FailMode ?? FailMode.Sticky,
        Budgets = state.State.Budgets
            .Select(pair => new BudgetIndexEntry(pair.Key, pair.Value.Scope, pair.Value.Period, pair.Value.TimeZone, pair.Value.Mode))
            .ToImmutableArray(),
    };

    public Task PutOrgAsync(OrgDefinition definition)
    {
        if (definition == state.State.Definition)
        {
            return Task.CompletedTask;
        }

        state.State.Definition = definition;
        return CommitSettingsChangeAsync();
    }

    public Task<OrgDefinition?> GetOrgAsync() => Task.FromResult(state.State.Definition);

    public async Task RegisterEnvironmentAsync(string environmentId)
    {
        if (state.State.Environments.Add(environmentId))
        {
            await state.WriteOrResetAsync(this);
        }

        await GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateOrgSettingsAsync(Settings);
    }

    public Task UpsertBudgetAsync(string budgetId, BudgetPolicy policy)
    {
        if (state.State.Budgets.TryGetValue(budgetId, out var existing) && existing == policy)
        {
            // Already stored: push again, so a retried request repairs an environment a failed push missed.
            return PushSettingsAsync();
        }

        state.State.Budgets[budgetId] = policy;
        return CommitSettingsChangeAsync();
    }

    public Task RemoveBudgetAsync(string budgetId) =>
        state.State.Budgets.Remove(budgetId) ? CommitSettingsChangeAsync() : PushSettingsAsync();

    public Task<ImmutableArray<string>> ListEnvironmentsAsync() => Task.FromResult(state.State.Environments.ToImmutableArray());

    public Task<ImmutableArray<OrgBudget>> ListBudgetsAsync() =>
        Task.FromResult(state.State.Budgets.Select(pair => new OrgBudget(pair.Key, pair.Value)).ToImmutableArray());

    public Task<OrgSettings> GetSettingsAsync() => Task.FromResult(Settings);

    private async Task CommitSettingsChangeAsync()
    {
        state.State.SettingsVersion++;
        await state.WriteOrResetAsync(this);
        _settings = null;
        await PushSettingsAsync();
    }

    /// <summary>Idempotent: environments ignore settings not newer than theirs. A failure reaches the caller, who retries.</summary>
    private Task PushSettingsAsync()
    {
        var settings = Settings;
        return Task.WhenAll(state.State.Environments.Select(environmentId =>
            GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateOrgSettingsAsync(settings)));
    }
}
