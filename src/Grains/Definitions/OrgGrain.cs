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
/// every environment, which pushes them on to its gateways, and a budget change goes the same way
/// as one <see cref="BudgetIndexChange"/> (never the whole index, which gateways fetch when they
/// activate or find they missed a change).
/// <para>
/// The org grain is the single owner of its budgets' definitions: a budget's policy is stored
/// first (marked pending, one row of the registry table: <see cref="OrgRegistry"/>), then given to
/// the budget grain, which keeps the copy it evaluates with. A crash between the steps leaves the
/// entry pending, and the next activation (or the retry timer) completes it; deletion goes the
/// same way through <see cref="OrgRegistry.Deleting"/>.
/// </para>
/// </summary>
[GrainType("org")]
internal sealed partial class OrgGrain(
    [PersistentState("org", GrainStorageNames.Default)] IPersistentState<OrgState> state,
    BudgetRegistryStore registryStore,
    TimeProvider time,
    ILogger<OrgGrain> logger)
    : Grain, IOrgGrain
{
    private static readonly TimeSpan PendingRetryInterval = TimeSpan.FromSeconds(5);

    private IGrainTimer? _pendingTimer;
    /// <summary>Per budget, the end of the period it was last seen in (memory only: a new activation asks every budget once).</summary>
    private Dictionary<string, DateTimeOffset>? _periodEnds;
    private OrgSettings? _settings;
    /// <summary>Changed only after a write stored it: <see cref="GetBudgetIndexAsync"/> interleaves with writes in progress.</summary>
    private BudgetIndex _index = BudgetIndex.Empty;
    private OrgRegistry _registry = null!;

    private OrgSettings Settings => _settings ??= new OrgSettings
    {
        Version = state.State.SettingsVersion,
        FailMode = state.State.Definition?.FailMode ?? FailMode.Sticky,
    };

    /// <summary>The index of the stored registry, without budgets whose grain may not have their policy yet (pending).</summary>
    private BudgetIndex IndexOfStoredState() => new(
        _registry.IndexVersion,
        _registry.Budgets
            .Where(pair => !_registry.Pending.Contains(pair.Key))
            .ToImmutableDictionary(pair => pair.Key, pair => EntryOf(pair.Key, pair.Value), StringComparer.Ordinal));

    private static BudgetIndexEntry EntryOf(string budgetId, BudgetPolicy policy) =>
        new(budgetId, policy.Scope, policy.Period, policy.TimeZone, policy.Mode);

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
            ("budget", "budgets", _registry.Budgets.Keys),
            ("budget still being deleted", "budgets still being deleted", _registry.Deleting),
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
        var due = _registry.Budgets.Keys
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
        _registry = new OrgRegistry(registryStore, this.GetPrimaryKeyString());
        if (await _registry.LoadAsync(state.State))
        {
            // Kept in the state before the registry had a table of its own: stored there now.
            state.State.Budgets.Clear();
            state.State.PendingBudgets.Clear();
            state.State.DeletingBudgets.Clear();
            await state.WriteStateAsync(cancellationToken);
        }

        _index = IndexOfStoredState();
        if (_registry.Pending.Count > 0 || _registry.Deleting.Count > 0)
        {
            // Right after activation, not in it: completing pushes to gateways, and a gateway
            // activating meanwhile asks this org for its index, which waits for the activation.
            _pendingTimer = this.RegisterGrainTimer(
                static (grain, _) => grain.CompletePendingAsync(),
                this,
                new GrainTimerCreationOptions(TimeSpan.Zero, PendingRetryInterval));
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
        if (!_registry.Budgets.ContainsKey(budgetId) && await budget.GetBudgetAsync() is { } existing && existing.OrgId != policy.OrgId)
        {
            throw new DefinitionConflictException(
                $"budget '{budgetId}' belongs to org '{existing.OrgId}' and cannot move to org '{policy.OrgId}'");
        }

        var changed = !_registry.Budgets.TryGetValue(budgetId, out var stored) || stored != policy;
        var change = new BudgetIndexChange(_index.Version, null, null);
        if (changed || _registry.Pending.Contains(budgetId))
        {
            // A new index version also for a pending one unchanged: the index did not have it, and gets it now.
            await StoreOrResetAsync(() => _registry.StorePendingAsync(budgetId, policy));
            await CompleteOrRetryLaterAsync(() => budget.DefineBudgetAsync(policy));
            // Stored before the budget joins the index: a pending row is left out of the index a
            // new activation builds (its grain may lack the policy), so a defined budget left
            // pending would route nothing on another silo until completed, and the events routed
            // meanwhile would be missing from its spend.
            _registry.MarkDefined(budgetId);
            await StoreOrResetAsync(_registry.FlushAsync);
            // Into the index only once the budget grain has the policy: a budget applies no
            // delta before, and a gateway may fetch the index at any moment.
            change = new BudgetIndexChange(_registry.IndexVersion, budgetId, EntryOf(budgetId, policy));
            _index = new BudgetIndex(change.Version, _index.Entries.SetItem(budgetId, change.Entry!));
        }

        // Also when nothing changed: a retried request repairs a gateway a failed push missed (it
        // hears the version and fetches the index).
        await PushIndexChangeAsync(change);
    }

    public async Task<bool> DeleteBudgetAsync(string budgetId)
    {
        _periodEnds?.Remove(budgetId);
        var known = _registry.Budgets.ContainsKey(budgetId);
        if (!known && !_registry.Deleting.Contains(budgetId))
        {
            return false;
        }

        var change = new BudgetIndexChange(_index.Version, null, null);
        if (known)
        {
            await StoreOrResetAsync(() => _registry.StoreDeletingAsync(budgetId));
            change = new BudgetIndexChange(_registry.IndexVersion, budgetId, null);
            _index = new BudgetIndex(change.Version, _index.Entries.Remove(budgetId));
        }

        // Out of the index before the grain clears it: no gateway counts toward it any more.
        await PushIndexChangeAsync(change);
        await CompleteOrRetryLaterAsync(() => GrainFactory.GetGrain<IBudgetGrain>(budgetId).DeleteBudgetAsync());
        _registry.MarkDeleted(budgetId);
        return true;
    }

    public Task<ImmutableArray<string>> ListEnvironmentsAsync() => Task.FromResult(state.State.Environments.ToImmutableArray());

    public Task<ImmutableArray<string>> ListUsageEnvironmentsAsync() =>
        Task.FromResult(state.State.Environments.Union(state.State.FormerEnvironments).Order(StringComparer.Ordinal).ToImmutableArray());

    public Task<ImmutableArray<OrgBudget>> ListBudgetsAsync() =>
        Task.FromResult(_registry.Budgets.Select(pair => new OrgBudget(pair.Key, pair.Value)).ToImmutableArray());

    public Task<OrgSettings> GetSettingsAsync() => Task.FromResult(Settings);

    public Task<BudgetIndex> GetBudgetIndexAsync() => Task.FromResult(_index);

    public Task<long> GetBudgetIndexVersionAsync() => Task.FromResult(_index.Version);

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
            foreach (var budgetId in _registry.Pending.ToList())
            {
                await GrainFactory.GetGrain<IBudgetGrain>(budgetId).DefineBudgetAsync(_registry.Budgets[budgetId]);
                _registry.MarkDefined(budgetId);
            }

            foreach (var budgetId in _registry.Deleting.ToList())
            {
                await GrainFactory.GetGrain<IBudgetGrain>(budgetId).DeleteBudgetAsync();
                _registry.MarkDeleted(budgetId);
            }

            // A new version: the completed budgets join the index (or leave it) only now.
            await StoreOrResetAsync(_registry.StoreNewVersionAsync);
            _index = IndexOfStoredState();
            // The push may be what the crash interrupted: gateways behind this version fetch the index.
            await PushIndexChangeAsync(new BudgetIndexChange(_index.Version, null, null));
            _pendingTimer?.Dispose();
            _pendingTimer = null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPendingFailed(logger, ex, this.GetPrimaryKeyString());
            ArmPendingRetry();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Best effort: what is not stored now is done again (idempotently) by the next activation.
        try
        {
            await _registry.FlushAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFlushFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>A registry write; when it fails, memory holds what was not stored, so the activation ends.</summary>
    private async Task StoreOrResetAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    [LoggerMessage(5104, LogLevel.Warning, "Org {OrgId} could not store which budget definitions and deletions completed; its next activation repeats them")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string orgId);

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

    /// <summary>Through every environment to its gateways. Idempotent; a failure reaches the caller, who retries.</summary>
    private Task PushIndexChangeAsync(BudgetIndexChange change) =>
        Task.WhenAll(state.State.Environments.Select(environmentId =>
            GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateBudgetIndexAsync(change)));

    /// <summary>Idempotent: environments ignore settings not newer than theirs. A failure reaches the caller, who retries.</summary>
    private Task PushSettingsAsync()
    {
        var settings = Settings;
        return Task.WhenAll(state.State.Environments.Select(environmentId =>
            GrainFactory.GetGrain<IEnvironmentGrain>(environmentId).UpdateOrgSettingsAsync(settings)));
    }
}
