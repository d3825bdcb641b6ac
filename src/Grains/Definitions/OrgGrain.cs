using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An organization, its environments and its budgets. State (<see cref="OrgState"/>) is written
/// on every change before the call returns; then the new <see cref="OrgSettings"/> are pushed to
/// every environment, which pushes them on to its gateways.
/// <para>
/// The org grain is the single owner of its budgets' definitions: a budget's policy is stored
/// here first (marked pending), then given to the budget grain, which keeps the copy it evaluates
/// with. A crash between the steps leaves the entry pending, and the next activation (or the
/// retry timer) completes it; deletion goes the same way through <see cref="OrgState.DeletingBudgets"/>.
/// </para>
/// </summary>
[GrainType("org")]
internal sealed partial class OrgGrain(
    [PersistentState("org", GrainStorageNames.Default)] IPersistentState<OrgState> state,
    TimeProvider time,
    ILogger<OrgGrain> logger)
    : Grain, IOrgGrain
{
    private static readonly TimeSpan PendingRetryInterval = TimeSpan.FromSeconds(5);

    private IGrainTimer? _pendingTimer;
    /// <summary>Per budget, the end of the period it was last seen in (memory only: a new activation asks every budget once).</summary>
    private Dictionary<string, DateTimeOffset>? _periodEnds;
    private OrgSettings? _settings;

    private OrgSettings Settings => _settings ??= new OrgSettings
    {
        Version = state.State.SettingsVersion,
        FailMode = state.State.Definition?.FailMode ?? FailMode.Sticky,
        Budgets = state.State.Budgets
            .Select(pair => new BudgetIndexEntry(pair.Key, pair.Value.Scope, pair.Value.Period, pair.Value.TimeZone, pair.Value.Mode))
            .ToImmutableArray(),
    };

    public async Task PutOrgAsync(OrgDefinition definition)
    {
        if (definition != state.State.Definition)
        {
            if (state.State.Definition is null)
            {
                // Created now (or again: the first creation is kept). One stored before this was
                // recorded has an older definition and keeps no date, rather than a wrong one.
                state.State.CreatedAt ??= time.GetUtcNow();
            }

            state.State.Definition = definition;
            await CommitSettingsChangeAsync();
        }

        await ListAsync();
    }

    public async Task<bool> DeleteOrgAsync()
    {
        if (state.State.Definition is null)
        {
            return false;
        }

        await ForgetDeletedEnvironmentsAsync();
        var webhooks = await GrainFactory.GetGrain<IWebhooksGrain>(this.GetPrimaryKeyString()).ListWebhooksAsync();
        if (Remaining.Describe(
            $"org '{this.GetPrimaryKeyString()}'",
            ("environment", "environments", state.State.Environments),
            ("budget", "budgets", state.State.Budgets.Keys),
            ("budget still being deleted", "budgets still being deleted", state.State.DeletingBudgets),
            ("webhook", "webhooks", [.. webhooks.Select(endpoint => endpoint.Id)])) is { } remaining)
        {
            throw new DefinitionConflictException(remaining);
        }

        // Unlisted first: a crash before the write below leaves an org that GET /orgs does not
        // show but GET and DELETE still find, and a repeated DELETE completes.
        await GrainFactory.GetGrain<IOrgDirectoryGrain>(IOrgDirectoryGrain.Key).RemoveAsync(this.GetPrimaryKeyString());
        state.State.Definition = null;
        state.State.Listed = false;
        await CommitSettingsChangeAsync();
        return true;
    }

    /// <summary>
    /// Drops environments deleted without this org hearing of it (a crash between the environment's
    /// deletion and <see cref="UnregisterEnvironmentAsync"/>), so they do not hold the org's deletion up.
    /// </summary>
    private async Task ForgetDeletedEnvironmentsAsync()
    {
        var orgId = this.GetPrimaryKeyString();
        var definitions = await Task.WhenAll(state.State.Environments.Select(async environmentId =>
            (Id: environmentId, Definition: await GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).GetEnvironmentAsync())));
        var deleted = definitions.Where(entry => entry.Definition?.OrgId != orgId).Select(entry => entry.Id).ToList();
        if (deleted.Count > 0)
        {
            state.State.Environments.ExceptWith(deleted);
            state.State.FormerEnvironments.UnionWith(deleted);
            await state.WriteOrResetAsync(this);
        }
    }

    public async Task UnregisterEnvironmentAsync(string environmentId)
    {
        if (state.State.Environments.Remove(environmentId))
        {
            state.State.FormerEnvironments.Add(environmentId);
            await state.WriteOrResetAsync(this);
        }
    }

    public Task<OrgDefinition?> GetOrgAsync() => Task.FromResult(state.State.Definition);

    public Task<DateTimeOffset?> GetCreatedAtAsync() => Task.FromResult(state.State.CreatedAt);

    public async Task WakeBudgetsAsync()
    {
        var now = time.GetUtcNow();
        _periodEnds ??= new(StringComparer.Ordinal);
        var due = state.State.Budgets.Keys
            .Where(id => !_periodEnds.TryGetValue(id, out var end) || end <= now)
            .ToList();
        await Task.WhenAll(due.Select(async id =>
        {
            try
            {
                if (await GrainFactory.GetGrain<IBudgetGrain>(id).GetBudgetStatusAsync() is { } status)
                {
                    _periodEnds[id] = status.PeriodResetsAt;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One budget's failure costs only itself: it is asked again at the next sweep.
                LogWakeFailed(logger, ex, id);
            }
        }));
    }

    public async Task RegisterEnvironmentAsync(string environmentId)
    {
        if (state.State.Environments.Add(environmentId))
        {
            await state.WriteOrResetAsync(this);
        }

        await GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateOrgSettingsAsync(Settings);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.PendingBudgets.Count > 0 || state.State.DeletingBudgets.Count > 0)
        {
            await CompletePendingAsync();
        }

        // An org stored before the directory existed lists itself the first time it is used;
        // when the directory cannot be written now, the next PUT of the org lists it.
        try
        {
            await ListAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogListingFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Puts the org in the directory once; a crash before the flag is stored only repeats an idempotent add.</summary>
    private async Task ListAsync()
    {
        if (state.State.Definition is null || state.State.Listed)
        {
            return;
        }

        await GrainFactory.GetGrain<IOrgDirectoryGrain>(IOrgDirectoryGrain.Key).AddAsync(this.GetPrimaryKeyString());
        state.State.Listed = true;
        await state.WriteOrResetAsync(this);
    }

    public async Task DefineBudgetAsync(string budgetId, BudgetPolicy policy)
    {
        // Its period may have changed: the next sweep asks it again.
        _periodEnds?.Remove(budgetId);
        ArgumentNullException.ThrowIfNull(policy);
        var budget = GrainFactory.GetGrain<IBudgetGrain>(budgetId);
        if (!state.State.Budgets.ContainsKey(budgetId) && await budget.GetBudgetAsync() is { } existing && existing.OrgId != policy.OrgId)
        {
            throw new DefinitionConflictException(
                $"budget '{budgetId}' belongs to org '{existing.OrgId}' and cannot move to org '{policy.OrgId}'");
        }

        var changed = !state.State.Budgets.TryGetValue(budgetId, out var stored) || stored != policy;
        if (changed || state.State.PendingBudgets.Contains(budgetId))
        {
            state.State.Budgets[budgetId] = policy;
            state.State.PendingBudgets.Add(budgetId);
            state.State.DeletingBudgets.Remove(budgetId);
            state.State.SettingsVersion += changed ? 1 : 0;
            await state.WriteOrResetAsync(this);
            _settings = null;
            await CompleteOrRetryLaterAsync(() => budget.DefineBudgetAsync(policy));
            state.State.PendingBudgets.Remove(budgetId);
            await state.WriteOrResetAsync(this);
        }

        // Also when nothing changed: a retried request repairs an environment a failed push missed.
        await PushSettingsAsync();
    }

    public async Task<bool> DeleteBudgetAsync(string budgetId)
    {
        _periodEnds?.Remove(budgetId);
        var known = state.State.Budgets.Remove(budgetId);
        if (!known && !state.State.DeletingBudgets.Contains(budgetId))
        {
            return false;
        }

        if (known)
        {
            state.State.PendingBudgets.Remove(budgetId);
            state.State.DeletingBudgets.Add(budgetId);
            state.State.SettingsVersion++;
            await state.WriteOrResetAsync(this);
            _settings = null;
        }

        // Out of the index before the grain clears it: no gateway counts toward it any more.
        await PushSettingsAsync();
        await CompleteOrRetryLaterAsync(() => GrainFactory.GetGrain<IBudgetGrain>(budgetId).DeleteBudgetAsync());
        state.State.DeletingBudgets.Remove(budgetId);
        await state.WriteOrResetAsync(this);
        return true;
    }

    public Task<ImmutableArray<string>> ListEnvironmentsAsync() => Task.FromResult(state.State.Environments.ToImmutableArray());

    public Task<ImmutableArray<string>> ListUsageEnvironmentsAsync() =>
        Task.FromResult(state.State.Environments.Union(state.State.FormerEnvironments).Order(StringComparer.Ordinal).ToImmutableArray());

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

    /// <summary>
    /// Completes the budget definitions and deletions a crash interrupted. What cannot be completed
    /// now is tried again by a timer, so the budget grains converge on the registry without a call.
    /// </summary>
    private async Task CompletePendingAsync()
    {
        try
        {
            foreach (var budgetId in state.State.PendingBudgets.ToList())
            {
                await GrainFactory.GetGrain<IBudgetGrain>(budgetId).DefineBudgetAsync(state.State.Budgets[budgetId]);
                state.State.PendingBudgets.Remove(budgetId);
            }

            foreach (var budgetId in state.State.DeletingBudgets.ToList())
            {
                await GrainFactory.GetGrain<IBudgetGrain>(budgetId).DeleteBudgetAsync();
                state.State.DeletingBudgets.Remove(budgetId);
            }

            await state.WriteStateAsync();
            // The push may be what the crash interrupted; environments ignore settings they have.
            await PushSettingsAsync();
            _pendingTimer?.Dispose();
            _pendingTimer = null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPendingFailed(logger, ex, this.GetPrimaryKeyString());
            ArmPendingRetry();
        }
    }

    /// <summary>The budget grain's step of a change already stored here; when it fails, the caller hears of it and the timer completes it.</summary>
    private async Task CompleteOrRetryLaterAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ArmPendingRetry();
            throw;
        }
    }

    private void ArmPendingRetry() =>
        _pendingTimer ??= this.RegisterGrainTimer(
            static (grain, _) => grain.CompletePendingAsync(),
            this,
            new GrainTimerCreationOptions(PendingRetryInterval, PendingRetryInterval));

    [LoggerMessage(5103, LogLevel.Warning, "Budget {BudgetId} could not be woken at its period's end; will try again")]
    private static partial void LogWakeFailed(ILogger logger, Exception exception, string budgetId);

    [LoggerMessage(5102, LogLevel.Warning, "Org {OrgId} could not add itself to the org directory; its next PUT will")]
    private static partial void LogListingFailed(ILogger logger, Exception exception, string orgId);

    [LoggerMessage(5101, LogLevel.Warning, "Org {OrgId} could not complete a budget definition or deletion; will retry")]
    private static partial void LogPendingFailed(ILogger logger, Exception exception, string orgId);

    /// <summary>Idempotent: environments ignore settings not newer than theirs. A failure reaches the caller, who retries.</summary>
    private Task PushSettingsAsync()
    {
        var settings = Settings;
        return Task.WhenAll(state.State.Environments.Select(environmentId =>
            GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateOrgSettingsAsync(settings)));
    }
}
