using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// One budget: the single writer of its spend, so concurrent gateways never race.
/// <para>
/// Durability: the policy, the standing (what subscribers were told), the version and the spend
/// per period with per-gateway ledger watermarks are one snapshot (<see cref="BudgetGrainState"/>),
/// written at once on every definition change and transition (before the transition is published),
/// and every <see cref="BudgetGrainOptions.SnapshotInterval"/> when only spend moved. The spend a
/// crash loses since the last snapshot is re-sent by the gateways' own recovery: their deltas carry
/// ledger sequence ranges, and a range at or below a watermark is ignored, so nothing counts twice.
/// </para>
/// <para>
/// A budget counts its whole period (API.md §4): a period's spend is the deltas the gateways sent
/// (<see cref="BudgetGrainState.SpendByPeriod"/>) plus a base (<see cref="BudgetGrainState.BaseByPeriod"/>)
/// read from the ledger's rollups for what no delta brings; see <see cref="RebaseAsync"/>.
/// </para>
/// <para>
/// Periods roll over by a timer set to the period end (re-armed at least every
/// <see cref="BudgetGrainOptions.RolloverCheckInterval"/>), which also keeps an existing budget
/// active, so a blocked budget clears at its boundary even when no event arrives.
/// </para>
/// </summary>
[GrainType("budget")]
internal sealed partial class BudgetGrain : Grain, IBudgetGrain
{
    private readonly IPersistentState<BudgetGrainState> _state;
    private readonly IUsageLedger _ledger;
    private readonly TimeProvider _time;
    private readonly BudgetGrainOptions _options;
    private readonly ILogger<BudgetGrain> _logger;
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Transitions kept for data planes that missed them on the stream (<see cref="GetTransitionsAfterAsync"/>).</summary>
    public const int TransitionsKept = 16;
    private static readonly TimeSpan HandOverRetryInterval = TimeSpan.FromSeconds(5);
    private IGrainTimer? _handOverRetry;
    private bool _handingOver;

    private IAsyncStream<BudgetEvent>? _stream;
    /// <summary>Events whose publish failed, in order; sent again by <see cref="_publishRetry"/>.</summary>
    private readonly List<BudgetEvent> _unpublished = [];
    private IGrainTimer? _publishRetry;
    private IGrainTimer? _rolloverTimer;
    private IGrainTimer? _flushTimer;
    private IGrainTimer? _rebaseTimer;
    /// <summary>The re-bases still to come after a definition, as delays from the previous one.</summary>
    private readonly Queue<TimeSpan> _rebases = new();
    private bool _dirty;
    private bool _writeFailed;
    private bool _statusPending;
    private DateTimeOffset _lastSnapshot;
    private (BudgetPolicy? Policy, DateTimeOffset Current, DateTimeOffset Previous) _oldestKept;

    public BudgetGrain(
        [PersistentState("budget", GrainStorageNames.Default)] IPersistentState<BudgetGrainState> state,
        IUsageLedger ledger,
        TimeProvider time,
        IOptions<BudgetGrainOptions> options,
        ILogger<BudgetGrain> logger)
    {
        _state = state;
        _ledger = ledger;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    private BudgetGrainState S => _state.State;

    private bool Exists => S.Policy is not null && !S.Deleted;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastSnapshot = _time.GetUtcNow();
        if (Exists)
        {
            await CatchUpFromLedgerAsync(cancellationToken);
            if (!await RollOverIfDueAsync())
            {
                // Events of a gateway that was late to learn of this budget may have come while it slept.
                await RebaseAndCommitAsync();
            }

            // A publish may have been lost with the previous activation: consumers converge on this.
            await PublishAsync(BudgetEventKind.Status, null);
            ArmRolloverTimer();
        }

        // Transitions stored but not yet taken by the webhooks when the last activation ended.
        HandOver();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // After a failed write, memory may hold a transition that was never published: storing it
        // now would make the next activation believe it was announced. Storage keeps the last good state.
        if (_dirty && !_writeFailed)
        {
            await WriteSnapshotAsync();
        }
    }

    public async Task<BudgetStatus> DefineBudgetAsync(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var now = _time.GetUtcNow();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZone);
        var window = PeriodCalendar.Containing(now, policy.Period, zone);
        if (!Exists)
        {
            // A budget defined again after its deletion stands above the deletion's tombstone in every view.
            S.Version += S.Deleted ? 1 : 0;
            S.Policy = policy;
            S.Deleted = false;
            S.PeriodStart = window.Start;
            S.PeriodEnd = window.End;
            S.NotifiedState = BudgetState.Ok;
            S.NotifiedBlocking = false;
            S.FiredThresholds.Clear();
        }
        else
        {
            if (S.Policy == policy)
            {
                return Status();
            }

            // A new scope or calendar counts the new period's spend from the ledger (the re-base below).
            S.PeriodStart = window.Start;
            S.PeriodEnd = window.End;
            S.Policy = policy;
        }

        ForgetOldPeriods();
        await RebaseAsync();

        var evaluation = BudgetEvaluator.Evaluate(policy, Standing(), CurrentSpend());
        await CommitAsync(evaluation, alwaysPersist: true);
        ArmRolloverTimer();
        ScheduleRebases();
        return Status();
    }

    public Task<BudgetPolicy?> GetBudgetAsync() => Task.FromResult(Exists ? S.Policy : null);

    public async Task<BudgetStatus?> GetBudgetStatusAsync()
    {
        if (!Exists)
        {
            return null;
        }

        await RollOverIfDueAsync();
        return Status();
    }

    public async Task<BudgetDeletion> DeleteBudgetAsync()
    {
        if (!Exists)
        {
            return new BudgetDeletion(false, S.Policy?.OrgId);
        }

        var announcements = BudgetEvaluator.Delete(Standing());
        var firstVersion = S.Version + 1;
        // The deletion has a version of its own, above its last announcements: views keep it as a
        // tombstone, so an older status arriving late never brings the budget back.
        S.Version += announcements.Length + 1;
        S.Deleted = true;
        S.NotifiedState = BudgetState.Ok;
        S.NotifiedBlocking = false;
        var transitions = new BudgetEvent[announcements.Length];
        for (var i = 0; i < announcements.Length; i++)
        {
            Notify(Kind(announcements[i]), announcements[i].Threshold, firstVersion + i);
            transitions[i] = Remember(Kind(announcements[i]), announcements[i].Threshold, firstVersion + i);
        }

        await ExpectNotificationsAsync();
        await WriteSnapshotAsync();
        foreach (var transition in transitions)
        {
            await PublishAsync(transition);
        }

        await PublishAsync(BudgetEventKind.Deleted, null);
        HandOver();
        _rolloverTimer?.Dispose();
        _rolloverTimer = null;
        return new BudgetDeletion(true, S.Policy!.OrgId);
    }

    public async Task<BudgetStatus?> ApplyUsageAsync(BudgetUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var watermark = S.Watermarks.GetValueOrDefault(usage.Gateway);
        if (S.Policy is null || usage.ToSequence <= watermark)
        {
            return null;
        }

        // A delta is one committed batch. One that starts at or below the watermark was counted
        // from the ledger by the catch-up, in every period the catch-up reads; the rest of it
        // belongs to periods this budget no longer keeps.
        if (usage.FromSequence > watermark)
        {
            foreach (var amount in usage.Amounts)
            {
                Count(amount.PeriodStart, amount.AmountUsd);
                if (amount.PeriodStart == S.PeriodStart)
                {
                    Applied(amount.AmountUsd);
                }
            }
        }

        S.Watermarks[usage.Gateway] = usage.ToSequence;
        _dirty = true;
        // A deleted budget still counts what gateways routed to it before they heard: should it be
        // defined again, its base (attributions subtracted) and these deltas stay consistent.
        if (!Exists || await RollOverIfDueAsync())
        {
            return null;
        }

        var evaluation = BudgetEvaluator.Evaluate(S.Policy!, Standing(), CurrentSpend());
        var forecast = AnnounceForecastIfDue(evaluation);
        await CommitAsync(evaluation, alwaysPersist: forecast);
        return evaluation.Transitions.IsEmpty ? null : Status();
    }

    /// <summary>Counts spend applied now toward the burn rate, forgetting hours older than the window.</summary>
    private void Applied(decimal amountUsd)
    {
        var now = _time.GetUtcNow();
        var hour = BudgetForecast.HourOf(now);
        if (S.AppliedByHour.TryGetValue(hour, out var applied))
        {
            S.AppliedByHour[hour] = applied + amountUsd;
            return;
        }

        // A new hour: the hours that left the window go (once an hour, not on every delta).
        S.AppliedByHour[hour] = amountUsd;
        var oldest = BudgetForecast.HourOf(now - _options.ForecastWindow);
        foreach (var stale in S.AppliedByHour.Keys.Where(key => key < oldest).ToList())
        {
            S.AppliedByHour.Remove(stale);
        }
    }

    private Forecast CurrentForecast() => BudgetForecast.Of(
        CurrentSpend(), S.Policy!.LimitUsd, new PeriodWindow(S.PeriodStart, S.PeriodEnd), _time.GetUtcNow(), _options.ForecastWindow, S.AppliedByHour);

    /// <summary>
    /// Puts <c>budget.forecast</c> in the outbox when the projection reaches the limit this period
    /// (once per period, never once exceeded): true when it did, so the commit stores it.
    /// </summary>
    private bool AnnounceForecastIfDue(BudgetEvaluation evaluation)
    {
        var exceeded = evaluation.Standing.NotifiedState == BudgetState.Exceeded;
        var announced = S.ForecastAnnouncedFor == S.PeriodStart;
        // Most deltas come after the announcement or past the limit: the projection is not computed for them.
        if (exceeded || announced || !BudgetForecast.ShouldAnnounce(CurrentForecast(), exceeded, announced))
        {
            return false;
        }

        S.ForecastAnnouncedFor = S.PeriodStart;
        S.Outbox.Add(new BudgetNotification(
            FormattableString.Invariant($"evt_{this.GetPrimaryKeyString()}_forecast_{S.PeriodStart.ToUnixTimeSeconds()}"),
            WebhookEventTypes.Forecast,
            _time.GetUtcNow(),
            Status(),
            null));
        return true;
    }

    /// <summary>
    /// Counts the attributed ledger rows of the periods it keeps (the previous one onward) that the
    /// snapshot does not cover (per-gateway sequence above its watermark): what a crash lost since
    /// the snapshot. A batch commits whole, so the rows read include every row of these periods
    /// of each batch up to the new watermark; <see cref="ApplyUsageAsync"/> relies on that.
    /// </summary>
    private async Task CatchUpFromLedgerAsync(CancellationToken cancellationToken)
    {
        var policy = S.Policy!;
        var rows = await _ledger.ReadBudgetAttributionsAsync(this.GetPrimaryKeyString(), OldestKeptPeriod(), cancellationToken);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var counted = 0;
        foreach (var row in rows)
        {
            var gateway = Abstractions.Gateways.GatewayKey.Format(row.EnvironmentId, row.DpId);
            if (row.Sequence <= S.Watermarks.GetValueOrDefault(gateway))
            {
                continue;
            }

            Count(row.PeriodStart, row.CostUsd);
            seen[gateway] = Math.Max(seen.GetValueOrDefault(gateway), row.Sequence);
            counted++;
        }

        foreach (var (gateway, sequence) in seen)
        {
            S.Watermarks[gateway] = sequence;
        }

        if (counted > 0)
        {
            _dirty = true;
            LogCaughtUp(_logger, this.GetPrimaryKeyString(), counted);
            await CommitAsync(BudgetEvaluator.Evaluate(policy, Standing(), CurrentSpend()), alwaysPersist: false);
        }
    }

    /// <summary>Rolls the period over when the clock has passed its end. Returns whether it did.</summary>
    private async Task<bool> RollOverIfDueAsync(bool resetOnFailure = true)
    {
        var now = _time.GetUtcNow();
        if (now < S.PeriodEnd)
        {
            return false;
        }

        var policy = S.Policy!;
        var window = PeriodCalendar.Containing(now, policy.Period, TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZone));
        S.PeriodStart = window.Start;
        S.PeriodEnd = window.End;
        ForgetOldPeriods();
        await RebaseAsync();

        var evaluation = BudgetEvaluator.Rollover(policy, Standing(), CurrentSpend());
        await CommitAsync(evaluation, alwaysPersist: true, resetOnFailure);
        LogRolledOver(_logger, this.GetPrimaryKeyString(), window.Start);
        return true;
    }

    /// <summary>Adopts an evaluation: persists before announcing transitions, then publishes them.</summary>
    private async Task CommitAsync(BudgetEvaluation evaluation, bool alwaysPersist, bool resetOnFailure = true)
    {
        S.NotifiedState = evaluation.Standing.NotifiedState;
        S.NotifiedBlocking = evaluation.Standing.NotifiedBlocking;
        S.FiredThresholds = [.. evaluation.Standing.FiredThresholds];
        if (evaluation.Transitions.IsEmpty && !alwaysPersist)
        {
            _statusPending = true;
            ScheduleFlush();
            return;
        }

        var firstVersion = S.Version + 1;
        S.Version += evaluation.Transitions.Length;
        var transitions = new BudgetEvent[evaluation.Transitions.Length];
        for (var i = 0; i < evaluation.Transitions.Length; i++)
        {
            Notify(Kind(evaluation.Transitions[i]), evaluation.Transitions[i].Threshold, firstVersion + i);
            transitions[i] = Remember(Kind(evaluation.Transitions[i]), evaluation.Transitions[i].Threshold, firstVersion + i);
        }

        await ExpectNotificationsAsync();
        await WriteSnapshotAsync(resetOnFailure);
        foreach (var transition in transitions)
        {
            await PublishAsync(transition);
        }

        await PublishAsync(BudgetEventKind.Status, null);
        HandOver();
    }

    /// <summary>Puts a transition in the outbox, to be stored by the write that stores the transition.</summary>
    private void Notify(BudgetEventKind kind, decimal? threshold, long version)
    {
        var type = kind switch
        {
            BudgetEventKind.Threshold => WebhookEventTypes.Threshold,
            BudgetEventKind.Exceeded => WebhookEventTypes.Exceeded,
            _ => WebhookEventTypes.Cleared,
        };
        S.Outbox.Add(new BudgetNotification(
            BudgetNotification.IdOf(this.GetPrimaryKeyString(), version), type, _time.GetUtcNow(), Status() with { Version = version }, threshold));
    }

    /// <summary>
    /// Hands the outbox to the org's webhooks grain, in the background of this activation (a slow
    /// webhooks grain never holds usage up). What it took leaves the outbox, stored with the next
    /// snapshot; if this activation ends first, the next one hands it over again and the webhooks
    /// grain ignores what it already took (by version). A failure is tried again every 5 s.
    /// </summary>
    private void HandOver()
    {
        if (S.Outbox.Count > 0 && !_handingOver && S.Policy is not null)
        {
            _ = HandOverAsync();
        }
    }

    public async Task<long?> HandOverNotificationsAsync()
    {
        while (_handingOver)
        {
            await Task.Delay(10);
        }

        if (S.Policy is not null && S.Outbox.Count > 0)
        {
            await HandOverAsync();
        }

        return S.Outbox.Count == 0 ? S.Version : null;
    }

    /// <summary>
    /// Before the write that stores new notifications: the org's webhooks record that this budget
    /// has some, so a silo's sweep has it hand them over should this activation die before it does.
    /// A failure is logged and the write goes on (the hand-over's own retries then cover this activation).
    /// </summary>
    private async Task ExpectNotificationsAsync()
    {
        if (S.Outbox.Count == 0)
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IWebhooksGrain>(S.Policy!.OrgId).ExpectAsync(this.GetPrimaryKeyString(), S.Version);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogHandOverFailed(_logger, ex, this.GetPrimaryKeyString(), S.Outbox.Count);
        }
    }

    private async Task HandOverAsync()
    {
        _handingOver = true;
        var handed = false;
        try
        {
            var batch = S.Outbox.ToImmutableArray();
            await GrainFactory.GetGrain<IWebhooksGrain>(S.Policy!.OrgId).EnqueueAsync(batch);
            var taken = batch.Select(notification => notification.EventId).ToHashSet(StringComparer.Ordinal);
            S.Outbox.RemoveAll(notification => taken.Contains(notification.EventId));
            _dirty = true;
            ScheduleFlush();
            handed = true;
            if (S.Outbox.Count == 0)
            {
                _handOverRetry?.Dispose();
                _handOverRetry = null;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogHandOverFailed(_logger, ex, this.GetPrimaryKeyString(), S.Outbox.Count);
            _handOverRetry ??= this.RegisterGrainTimer(
                static (grain, _) =>
                {
                    grain.HandOver();
                    return Task.CompletedTask;
                },
                this,
                new GrainTimerCreationOptions(HandOverRetryInterval, HandOverRetryInterval) { KeepAlive = true });
        }
        finally
        {
            _handingOver = false;
        }

        // Notifications stored while this hand-over was out go next.
        if (handed && S.Outbox.Count > 0)
        {
            HandOver();
        }
    }

    private void ScheduleFlush()
    {
        _flushTimer ??= this.RegisterGrainTimer(
            static (grain, _) => grain.FlushAsync(),
            this,
            new GrainTimerCreationOptions(_options.StatusInterval, Timeout.InfiniteTimeSpan));
    }

    private async Task FlushAsync()
    {
        _flushTimer?.Dispose();
        _flushTimer = null;
        if (_statusPending && Exists)
        {
            _statusPending = false;
            await PublishAsync(BudgetEventKind.Status, null);
        }

        if (_dirty)
        {
            if (_time.GetUtcNow() - _lastSnapshot >= _options.SnapshotInterval)
            {
                await WriteSnapshotAsync();
            }
            else
            {
                ScheduleFlush();
            }
        }
    }

    private void ArmRolloverTimer(bool retry = false)
    {
        _rolloverTimer?.Dispose();
        var untilEnd = S.PeriodEnd - _time.GetUtcNow();
        var due = retry || untilEnd >= _options.RolloverCheckInterval ? _options.RolloverCheckInterval
            : untilEnd < TimeSpan.Zero ? TimeSpan.Zero : untilEnd;
        _rolloverTimer = this.RegisterGrainTimer(
            static (grain, _) => grain.OnRolloverTimerAsync(),
            this,
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    /// <summary>
    /// The rollover timer's turn. A rollover whose write fails is not given up: memory goes back to
    /// what storage and the ledger hold (as a new activation would) and the timer tries again, so a
    /// budget still clears at its boundary once storage is back, with no call to wake it.
    /// </summary>
    private async Task OnRolloverTimerAsync()
    {
        if (!Exists)
        {
            return;
        }

        try
        {
            await RollOverIfDueAsync(resetOnFailure: false);
            ArmRolloverTimer();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRolloverFailed(_logger, ex, this.GetPrimaryKeyString());
            try
            {
                await _state.ReadStateAsync();
                _writeFailed = false;
                _dirty = false;
                if (Exists)
                {
                    await CatchUpFromLedgerAsync(CancellationToken.None);
                    ArmRolloverTimer(retry: true);
                }
            }
            catch (Exception reload) when (reload is not OutOfMemoryException)
            {
                // Storage cannot even be read: leave it to the next activation.
                LogRolloverFailed(_logger, reload, this.GetPrimaryKeyString());
                DeactivateOnIdle();
            }
        }
    }

    /// <summary>
    /// Sets the current period's base: the spend of its scope in the ledger minus what was routed to
    /// this budget (<see cref="Usage.ScopeSpend"/>), both read in one snapshot of the ledger: every row
    /// below the snapshot is in both sums or in neither, which is the cut. Why the spend is then
    /// exact: call the period's routed spend A and the deltas applied D (D ⊆ A, since a row is
    /// committed before its delta is sent, and every routed row reaches D once). The spend shown is
    /// <c>base + D = InScope − A + D</c>; once the deltas in flight arrive (D = A) it is InScope
    /// exactly: no event counted twice, none missed. It holds whatever routed the rows: rows routed
    /// under an old scope or calendar are in A and in D and cancel, rows of the new scope that no
    /// gateway routed (stored before it learned of the budget) are in InScope only. Rows stored after
    /// the cut by a gateway that has not yet learned of the budget are in neither until the next
    /// re-base, which is why a definition is followed by a few (<see cref="ScheduleRebases"/>), and
    /// every rollover and activation makes one. A failed read keeps the previous base and is retried
    /// by the next re-base.
    /// </summary>
    private async Task RebaseAsync()
    {
        var policy = S.Policy!;
        var budgetId = this.GetPrimaryKeyString();
        try
        {
            var environments = await GrainFactory.GetGrain<Abstractions.Definitions.IOrgGrain>(policy.OrgId).ListEnvironmentsAsync();
            if (BudgetScopeQuery.For(policy.Scope, environments, new PeriodWindow(S.PeriodStart, S.PeriodEnd)) is not { } query)
            {
                return;
            }

            var spend = await _ledger.SumScopeAsync(query, budgetId, S.PeriodStart);
            var unrouted = spend.InScopeUsd - spend.AttributedUsd;
            if (S.BaseByPeriod.GetValueOrDefault(S.PeriodStart) != unrouted)
            {
                S.BaseByPeriod[S.PeriodStart] = unrouted;
                _dirty = true;
                LogRebased(_logger, budgetId, S.PeriodStart, unrouted);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRebaseFailed(_logger, ex, budgetId);
        }
    }

    /// <summary>A re-base outside a definition or rollover: adopts the new base and announces what it crossed.</summary>
    private async Task RebaseAndCommitAsync()
    {
        var before = CurrentSpend();
        await RebaseAsync();
        if (CurrentSpend() != before)
        {
            await CommitAsync(BudgetEvaluator.Evaluate(S.Policy!, Standing(), CurrentSpend()), alwaysPersist: true);
        }
    }

    /// <summary>Re-bases again 1, 5 and 30 seconds after a definition, for gateways that learned of it late.</summary>
    private void ScheduleRebases()
    {
        _rebases.Clear();
        foreach (var delay in _options.RebaseDelays)
        {
            _rebases.Enqueue(delay);
        }

        ArmRebaseTimer();
    }

    private void ArmRebaseTimer()
    {
        _rebaseTimer?.Dispose();
        _rebaseTimer = _rebases.TryDequeue(out var due)
            ? this.RegisterGrainTimer(
                static (grain, _) => grain.OnRebaseTimerAsync(),
                this,
                new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true })
            : null;
    }

    private async Task OnRebaseTimerAsync()
    {
        try
        {
            if (Exists)
            {
                await RebaseAndCommitAsync();
            }
        }
        finally
        {
            ArmRebaseTimer();
        }
    }

    /// <summary>Adds spend to a period; spend of periods older than the previous one is not kept (the ledger has it).</summary>
    private void Count(DateTimeOffset periodStart, decimal amountUsd)
    {
        if (periodStart >= OldestKeptPeriod())
        {
            S.SpendByPeriod[periodStart] = S.SpendByPeriod.GetValueOrDefault(periodStart) + amountUsd;
        }
    }

    /// <summary>The start of the period before the current one: the oldest whose spend the snapshot keeps.</summary>
    private DateTimeOffset OldestKeptPeriod()
    {
        var policy = S.Policy!;
        if (_oldestKept.Current != S.PeriodStart || !ReferenceEquals(_oldestKept.Policy, policy))
        {
            var previous = PeriodCalendar.Containing(S.PeriodStart.AddTicks(-1), policy.Period, TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZone)).Start;
            _oldestKept = (policy, S.PeriodStart, previous);
        }

        return _oldestKept.Previous;
    }

    /// <summary>Keeps the snapshot to the previous, the current and a next period, however late events come.</summary>
    private void ForgetOldPeriods()
    {
        var oldest = OldestKeptPeriod();
        foreach (var start in S.SpendByPeriod.Keys.Where(start => start < oldest).ToList())
        {
            S.SpendByPeriod.Remove(start);
        }

        foreach (var start in S.BaseByPeriod.Keys.Where(start => start != S.PeriodStart).ToList())
        {
            S.BaseByPeriod.Remove(start);
        }
    }

    private async Task WriteSnapshotAsync(bool resetOnFailure = true)
    {
        try
        {
            if (resetOnFailure)
            {
                await _state.WriteOrResetAsync(this);
            }
            else
            {
                await _state.WriteStateAsync();
            }
        }
        catch
        {
            _writeFailed = true;
            throw;
        }

        _dirty = false;
        _lastSnapshot = _time.GetUtcNow();
    }

    /// <summary>
    /// The stream item of a transition, kept with the state (the last <see cref="TransitionsKept"/>)
    /// so that it is stored by the write that stores the transition, before it is published.
    /// </summary>
    private BudgetEvent Remember(BudgetEventKind kind, decimal? threshold, long version)
    {
        var item = Item(kind, threshold, version);
        S.RecentTransitions.Add(item);
        if (S.RecentTransitions.Count > TransitionsKept)
        {
            S.RecentTransitions.RemoveRange(0, S.RecentTransitions.Count - TransitionsKept);
        }

        return item;
    }

    public Task<ImmutableArray<BudgetEvent>> GetTransitionsAfterAsync(long version) =>
        Task.FromResult(S.RecentTransitions.Where(item => item.Status.Version > version).ToImmutableArray());

    private BudgetEvent Item(BudgetEventKind kind, decimal? threshold, long? version)
    {
        var status = Status();
        if (version is { } v)
        {
            status = status with { Version = v };
        }

        return new BudgetEvent { Kind = kind, Status = status, Threshold = threshold, OccurredAt = _time.GetUtcNow() };
    }

    private Task PublishAsync(BudgetEventKind kind, decimal? threshold) => PublishAsync(Item(kind, threshold, null));

    private async Task PublishAsync(BudgetEvent item)
    {
        _stream ??= this.GetStreamProvider(BudgetStreams.Provider)
            .GetStream<BudgetEvent>(StreamId.Create(BudgetStreams.Namespace, S.Policy!.OrgId));
        if (_unpublished.Count > 0)
        {
            // Behind an event that could not be published: keep the order, the retry sends both.
            Hold(item);
            return;
        }

        try
        {
            await _stream.PublishAsync(item);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The state is persisted; the event is sent again (a stream queue on a silo that just
            // died, or a publish that did not complete within BoundedPublish.Timeout), so subscribers still see every transition while this activation lives.
            LogPublishFailed(_logger, ex, this.GetPrimaryKeyString(), item.Kind);
            Hold(item);
        }
    }

    /// <summary>Keeps an event for the retry; of status refreshes only the latest matters.</summary>
    private void Hold(BudgetEvent item)
    {
        if (!item.IsTransition && item.Kind != BudgetEventKind.Deleted && _unpublished.Count > 0
            && _unpublished[^1] is { IsTransition: false, Kind: not BudgetEventKind.Deleted })
        {
            _unpublished[^1] = item;
        }
        else
        {
            _unpublished.Add(item);
        }

        _publishRetry ??= this.RegisterGrainTimer(
            static (grain, _) => grain.RetryPublishAsync(),
            this,
            new GrainTimerCreationOptions(PublishRetryInterval, PublishRetryInterval));
    }

    private async Task RetryPublishAsync()
    {
        while (_unpublished.Count > 0)
        {
            try
            {
                await _stream!.PublishAsync(_unpublished[0]);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogPublishFailed(_logger, ex, this.GetPrimaryKeyString(), _unpublished[0].Kind);
                return;
            }

            _unpublished.RemoveAt(0);
        }

        _publishRetry?.Dispose();
        _publishRetry = null;
    }

    private BudgetStatus Status()
    {
        var policy = S.Policy!;
        var spent = CurrentSpend();
        var forecast = S.Deleted ? default : CurrentForecast();
        return new BudgetStatus
        {
            BudgetId = this.GetPrimaryKeyString(),
            Policy = policy,
            // A deleted budget stands for nothing any more.
            State = S.Deleted ? BudgetState.Ok : BudgetEvaluator.StateOf(policy, spent),
            Blocking = !S.Deleted && BudgetEvaluator.IsBlocking(policy, spent),
            SpentUsd = spent,
            PeriodStart = S.PeriodStart,
            PeriodResetsAt = S.PeriodEnd,
            Version = S.Version,
            BurnRateUsdPerHour = forecast.BurnRateUsdPerHour,
            ProjectedExhaustionAt = forecast.ProjectedExhaustionAt,
        };
    }

    private decimal CurrentSpend() => S.SpendByPeriod.GetValueOrDefault(S.PeriodStart) + S.BaseByPeriod.GetValueOrDefault(S.PeriodStart);

    private BudgetStanding Standing() =>
        new(S.NotifiedState, S.NotifiedBlocking, [.. S.FiredThresholds]);

    private static BudgetEventKind Kind(Announcement announcement) => announcement.Kind switch
    {
        TransitionKind.Threshold => BudgetEventKind.Threshold,
        TransitionKind.Exceeded => BudgetEventKind.Exceeded,
        _ => BudgetEventKind.Cleared,
    };

    [LoggerMessage(4001, LogLevel.Information, "Budget {BudgetId} rolled over to the period starting {PeriodStart:O}")]
    private static partial void LogRolledOver(ILogger logger, string budgetId, DateTimeOffset periodStart);

    [LoggerMessage(4003, LogLevel.Information, "Budget {BudgetId} counted {Rows} ledger rows its snapshot did not cover")]
    private static partial void LogCaughtUp(ILogger logger, string budgetId, int rows);

    [LoggerMessage(4004, LogLevel.Warning, "Budget {BudgetId} could not store its rollover; will try again")]
    private static partial void LogRolloverFailed(ILogger logger, Exception exception, string budgetId);

    [LoggerMessage(4005, LogLevel.Information, "Budget {BudgetId} counts {BaseUsd} USD of its period starting {PeriodStart:O} from the ledger (spend no delta brings)")]
    private static partial void LogRebased(ILogger logger, string budgetId, DateTimeOffset periodStart, decimal baseUsd);

    [LoggerMessage(4006, LogLevel.Warning, "Budget {BudgetId} could not read its period's spend from the ledger; will try again")]
    private static partial void LogRebaseFailed(ILogger logger, Exception exception, string budgetId);

    [LoggerMessage(4007, LogLevel.Warning, "Budget {BudgetId} could not hand {Count} transitions to its org's webhooks; will try again")]
    private static partial void LogHandOverFailed(ILogger logger, Exception exception, string budgetId, int count);

    [LoggerMessage(4002, LogLevel.Warning, "Budget {BudgetId} could not publish {Kind}")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string budgetId, BudgetEventKind kind);
}
