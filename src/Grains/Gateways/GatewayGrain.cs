using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Grains.Gateways;

/// <summary>
/// One gateway's ingest order. Key: <c>{environment_id}/{dp_id}</c>.
/// <para>
/// Durability: a batch's events are appended to the usage ledger (the durable record) before the
/// call returns; totals are kept in memory and a snapshot (<see cref="GatewayState"/>) with the
/// ledger watermark it covers is persisted every <see cref="GatewayGrainOptions.SnapshotInterval"/> when
/// changed, and on deactivation. On activation the grain loads the snapshot and replays its ledger
/// rows above the watermark, so a crash at any point loses no accepted event and counts none twice.
/// When an append fails its outcome is unknown, so the grain refuses further batches and
/// deactivates; the next activation rebuilds from the ledger.
/// </para>
/// <para>
/// Budget deltas wait in one outbox per budget, delivered in order by a background loop per
/// budget, never by the acknowledgement: <see cref="GatewayState.BudgetWatermark"/> is below
/// the oldest undelivered one, and everything above it is re-sent from the ledger's attributions
/// on activation (budgets ignore a range they have counted).
/// </para>
/// </summary>
[GrainType("gateway")]
internal sealed partial class GatewayGrain : Grain, IGatewayGrain
{
    /// <summary>Instances kept per gateway; the snapshot stays small whatever instance ids arrive.</summary>
    internal const int MaxInstances = 256;

    private readonly IPersistentState<GatewayState> _state;
    private readonly IUsageLedger _ledger;
    private readonly GatewayGrainOptions _options;
    private readonly ILogger<GatewayGrain> _logger;
    private string _environmentId = "";
    private string _dpId = "";
    private EnvironmentCatalog _catalog = EnvironmentCatalog.Empty;
    private BudgetRouter _router = BudgetRouter.For("", EnvironmentCatalog.Empty);
    /// <summary>The org whose budget index <see cref="_router"/> routes by.</summary>
    private string? _indexOrgId;
    /// <summary>Per budget, its deltas not yet delivered, in sequence order, and whether one is in flight.</summary>
    private readonly Dictionary<string, BudgetOutbox> _outboxes = new(StringComparer.Ordinal);
    private long _lastSequence;
    private bool _dirty;
    private bool _mustRecover;

    public GatewayGrain(
        [PersistentState("gateway", GrainStorageNames.Default)] IPersistentState<GatewayState> state,
        IUsageLedger ledger,
        IOptions<GatewayGrainOptions> options,
        ILogger<GatewayGrain> logger)
    {
        _state = state;
        _ledger = ledger;
        _options = options.Value;
        _logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_environmentId, _dpId) = GatewayKey.Parse(this.GetPrimaryKeyString());
        _router = BudgetRouter.For(_environmentId, EnvironmentCatalog.Empty);
        var environment = GrainFactory.GetGrain<IEnvironmentGrain>(_environmentId);
        await UpdateCatalogAsync(await environment.GetCatalogAsync());
        await environment.AnnounceGatewayAsync(_dpId);

        var state = _state.State;
        var replay = await _ledger.ReadGatewayAsync(_environmentId, _dpId, state.LedgerWatermark, cancellationToken);
        foreach (var entry in replay)
        {
            state.Totals.Apply(entry);
            state.LedgerWatermark = entry.Sequence;
        }

        _lastSequence = state.LedgerWatermark;
        _dirty = replay.Count > 0;
        if (replay.Count > 0)
        {
            LogReplayed(_logger, this.GetPrimaryKeyString(), replay.Count, state.LedgerWatermark);
        }

        // Deltas a crash kept from their budgets: re-sent row by row; budgets ignore what they have.
        var gateway = this.GetPrimaryKeyString();
        foreach (var row in await _ledger.ReadGatewayAttributionsAsync(_environmentId, _dpId, state.BudgetWatermark, cancellationToken))
        {
            _ = Enqueue(row.BudgetId, new BudgetUsage
            {
                Gateway = gateway,
                FromSequence = row.Sequence,
                ToSequence = row.Sequence,
                Amounts = [new PeriodAmount(row.PeriodStart, row.CostUsd)],
            });
        }

        UpdateBudgetWatermark();
        StartDeliveries();

        this.RegisterGrainTimer(
            static (grain, _) => grain.OnTimerAsync(),
            this,
            new GrainTimerCreationOptions(_options.SnapshotInterval, _options.SnapshotInterval));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        PersistSnapshotAsync();

    public async Task<TelemetryBatchResult> IngestTelemetryAsync(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_mustRecover)
        {
            throw new LedgerUnavailableException("The gateway is recovering from a failed ledger append; retry.");
        }

        var entries = new List<LedgerEntry>(batch.Events.Length);
        var unboundKey = new List<bool>(batch.Events.Length);
        var rejected = ImmutableArray.CreateBuilder<EventRejection>();
        var seen = new HashSet<(string, int)>();
        var duplicates = 0;
        var sequence = _lastSequence;
        for (var position = 0; position < batch.Events.Length; position++)
        {
            var usage = batch.Events[position];
            if (!seen.Add((usage.RequestId, usage.AttemptIndex)))
            {
                duplicates++;
                continue;
            }

            // One event the cluster cannot price, attribute or store costs only itself.
            var (entry, refusal) = Prepare(usage, position, sequence + 1, batch.ReceivedAt);
            if (entry is null)
            {
                rejected.Add(refusal!);
                continue;
            }

            entries.Add(entry);
            unboundKey.Add(usage.ApiKeyId.Length > 0 && !entry.KeyBound);
            sequence++;
        }

        bool[] inserted;
        using var append = LedgerTracing.Source.StartActivity("ledger append");
        append?.SetTag("budgetcluster.ledger.rows", entries.Count);
        try
        {
            inserted = await _ledger.AppendAsync(entries);
        }
        catch (Exception ex)
        {
            // Some rows may be committed with sequences this activation would reuse: rebuild from the ledger.
            _mustRecover = true;
            this.DeactivateOnIdle();
            LogAppendFailed(_logger, ex, this.GetPrimaryKeyString());
            throw new LedgerUnavailableException("The usage ledger could not record the batch.", ex);
        }

        var state = _state.State;
        var accepted = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (inserted[i])
            {
                state.Totals.Apply(entries[i]);
                state.EventsUnboundKey += unboundKey[i] ? 1 : 0;
                accepted++;
            }
            else
            {
                duplicates++;
            }
        }

        _lastSequence = sequence;
        state.LedgerWatermark = sequence;
        state.EventsDuplicate += duplicates;
        state.EventsRejected += batch.RejectedCount + rejected.Count;
        CountRejections(batch, rejected);
        state.LastBatchAt = batch.ReceivedAt;
        _dirty = true;

        // The events are durable with their attributions: the acknowledgement does not depend on
        // any budget. Deltas are delivered in the background (retried by the timer, or re-sent from
        // the ledger after a crash); the acknowledgement waits a moment for their answers only so
        // that budgets this batch made change state reach the data plane with it.
        var answers = new List<Task<BudgetStatus?>>();
        foreach (var (budgetId, usage) in BudgetDeltas.FromBatch(this.GetPrimaryKeyString(), entries, inserted))
        {
            answers.Add(Enqueue(budgetId, usage));
        }

        UpdateBudgetWatermark();
        StartDeliveries();
        var transitioned = await AnswersWithinAsync(answers, _options.BudgetWaitOnAck);
        return new TelemetryBatchResult(accepted, duplicates) { Transitioned = transitioned, Rejected = rejected.ToImmutable() };
    }

    public Task RecordHeartbeatAsync(GatewayHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        var instances = _state.State.Instances;
        if (!instances.ContainsKey(heartbeat.InstanceId) && instances.Count >= MaxInstances)
        {
            // Instances come and go (every restart is a new one): forget the longest silent.
            instances.Remove(instances.MinBy(pair => pair.Value.LastHeartbeatAt).Key);
        }

        instances[heartbeat.InstanceId] = new GatewayInstanceState
        {
            Hostname = heartbeat.Hostname,
            Version = heartbeat.Version,
            UptimeSeconds = heartbeat.UptimeSeconds,
            AppliedRevision = heartbeat.AppliedRevision,
            ConfigHash = heartbeat.ConfigHash,
            LastHeartbeatAt = heartbeat.ReceivedAt,
        };
        _dirty = true;
        return Task.CompletedTask;
    }

    public Task<GatewayDetail> GetGatewayDetailAsync()
    {
        var state = _state.State;
        var totals = state.Totals;
        var detail = new GatewayDetail
        {
            DpId = _dpId,
            Instances = state.Instances
                .OrderBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => new GatewayInstance(pair.Key, pair.Value.Hostname, pair.Value.Version, pair.Value.LastHeartbeatAt))
                .ToImmutableArray(),
            Telemetry = new GatewayTelemetry(
                state.LastBatchAt, totals.Events, state.EventsDuplicate, state.EventsRejected, totals.Unpriced, state.EventsUnboundKey,
                state.EventsRejectedByReason.ToImmutableDictionary(StringComparer.Ordinal)),
            Usage = new GatewayUsage(
                totals.Requests, totals.PromptTokens, totals.CompletionTokens, totals.SpendUsd, totals.CacheSavingsUsd,
                totals.Errors, totals.BudgetDenied),
        };
        return Task.FromResult(detail);
    }

    public async Task UpdateCatalogAsync(EnvironmentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.Version <= _catalog.Version)
        {
            return;
        }

        var orgChanged = catalog.OrgId != _catalog.OrgId || _router.IndexVersion < 0;
        _catalog = catalog;
        _router.UseCatalog(catalog);
        if (orgChanged)
        {
            // The environment's org is known (or another) from now on: route by its budget index.
            await FetchBudgetIndexAsync();
        }
    }

    public async Task UpdateBudgetIndexAsync(BudgetIndexChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_router.TryApply(change))
        {
            await FetchBudgetIndexAsync();
        }
    }

    /// <summary>The whole budget index of the catalog's org, adopted when newer than the one routed by (fetches may interleave).</summary>
    private async Task FetchBudgetIndexAsync()
    {
        var orgId = _catalog.OrgId;
        var index = orgId is null ? BudgetIndex.Empty : await GrainFactory.GetGrain<IOrgGrain>(orgId).GetBudgetIndexAsync();
        if (orgId == _catalog.OrgId && (index.Version > _router.IndexVersion || _indexOrgId != orgId))
        {
            _router.UseIndex(index);
            _indexOrgId = orgId;
        }
    }

    /// <summary>The priced, attributed ledger row of the event at <paramref name="position"/>, or why it cannot be priced, attributed or stored.</summary>
    private (LedgerEntry? Entry, EventRejection? Refusal) Prepare(UsageEvent usage, int position, long sequence, DateTimeOffset receivedAt)
    {
        try
        {
            var model = _catalog.Models.GetValueOrDefault(usage.ModelId);
            // The price in force when the event occurred, whenever it arrives (API.md §9).
            var price = model?.PriceAt(usage.OccurredAt);
            var priced = UsagePricer.Price(usage, price?.Pricing);
            var attributions = priced.CostUsd == 0m ? [] : _router.Attribute(usage);
            var entry = LedgerEntry.From(
                usage, priced, _environmentId, _dpId, sequence, receivedAt, attributions, model, price, _router.BindingOf(usage.ApiKeyId));
            // A row the store would refuse would fail its whole batch there: refused here, alone.
            return LedgerLimits.Check(entry) is { } unstorable
                ? (null, new EventRejection(position, unstorable, RejectionReasons.Unstorable))
                : (entry, null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogEventRefused(_logger, ex, this.GetPrimaryKeyString(), usage.RequestId);
            return (null, new EventRejection(
                position, $"the event could not be priced or attributed to its budgets: {ex.Message}", RejectionReasons.Unpriceable));
        }
    }

    /// <summary>
    /// Adds a batch's rejections, the ingress's and this grain's, to the per-reason counts. What the
    /// ingress counted without a reason is <see cref="RejectionReasons.Unclassified"/>, so the counts
    /// always sum to <see cref="GatewayState.EventsRejected"/>.
    /// </summary>
    private void CountRejections(TelemetryBatch batch, ImmutableArray<EventRejection>.Builder rejected)
    {
        var counts = _state.State.EventsRejectedByReason;
        var classified = 0;
        foreach (var (reason, count) in batch.RejectedByReason)
        {
            counts[reason] = counts.GetValueOrDefault(reason) + count;
            classified += count;
        }

        if (batch.RejectedCount > classified)
        {
            counts[RejectionReasons.Unclassified] = counts.GetValueOrDefault(RejectionReasons.Unclassified) + batch.RejectedCount - classified;
        }

        foreach (var rejection in rejected)
        {
            counts[rejection.Reason] = counts.GetValueOrDefault(rejection.Reason) + 1;
        }
    }

    /// <summary>Queues a delta for its budget; the task completes with the budget's answer, or null when delivery failed for now.</summary>
    private Task<BudgetStatus?> Enqueue(string budgetId, BudgetUsage usage)
    {
        if (!_outboxes.TryGetValue(budgetId, out var outbox))
        {
            _outboxes[budgetId] = outbox = new BudgetOutbox();
        }

        var pending = new PendingDelta(usage);
        outbox.Queue.Enqueue(pending);
        return pending.Answer.Task;
    }

    /// <summary>Starts a delivery for every budget with queued deltas and none in flight; never waits for one.</summary>
    private void StartDeliveries()
    {
        foreach (var (budgetId, outbox) in _outboxes)
        {
            if (!outbox.Delivering && outbox.Queue.Count > 0)
            {
                outbox.Delivering = true;
                _ = DeliverAsync(budgetId, outbox);
            }
        }
    }

    /// <summary>
    /// Delivers one budget's deltas in order, one at a time, stopping at the first failure so that
    /// none overtakes an earlier one (the timer starts it again). Budgets are delivered to
    /// independently, so a slow one holds only its own deltas. Runs on the grain's scheduler,
    /// interleaved with its calls at the awaits; the state it touches is only changed between them.
    /// </summary>
    private async Task DeliverAsync(string budgetId, BudgetOutbox outbox)
    {
        var budget = GrainFactory.GetGrain<IBudgetGrain>(budgetId);
        try
        {
            while (outbox.Queue.TryPeek(out var pending))
            {
                BudgetStatus? answer;
                try
                {
                    answer = await budget.ApplyUsageAsync(pending.Usage);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogDeliveryFailed(_logger, ex, this.GetPrimaryKeyString(), budgetId);
                    FailWaiters(outbox);
                    return;
                }

                outbox.Queue.Dequeue();
                pending.Answer.TrySetResult(answer);
                UpdateBudgetWatermark();
                _dirty = true;
            }
        }
        finally
        {
            outbox.Delivering = false;
            if (outbox.Queue.Count == 0 && _outboxes.TryGetValue(budgetId, out var current) && current == outbox)
            {
                _outboxes.Remove(budgetId);
            }
        }
    }

    /// <summary>An acknowledgement waiting on a failed delivery stops waiting; the delta stays queued.</summary>
    private static void FailWaiters(BudgetOutbox outbox)
    {
        foreach (var pending in outbox.Queue)
        {
            pending.Answer.TrySetResult(null);
        }
    }

    /// <summary>Every delta of rows up to this sequence has been delivered; the rest is re-sent after a crash.</summary>
    private void UpdateBudgetWatermark()
    {
        var lowest = _lastSequence + 1;
        foreach (var outbox in _outboxes.Values)
        {
            if (outbox.Queue.TryPeek(out var head) && head.Usage.FromSequence < lowest)
            {
                lowest = head.Usage.FromSequence;
            }
        }

        _state.State.BudgetWatermark = lowest - 1;
    }

    /// <summary>The statuses of budgets that changed state, among the answers that came within <paramref name="wait"/>.</summary>
    private static async Task<ImmutableArray<BudgetStatus>> AnswersWithinAsync(List<Task<BudgetStatus?>> answers, TimeSpan wait)
    {
        if (answers.Count == 0)
        {
            return [];
        }

        var all = Task.WhenAll(answers);
        if (!all.IsCompleted && wait > TimeSpan.Zero)
        {
            try
            {
                await all.WaitAsync(wait);
            }
            catch (TimeoutException)
            {
                // A budget slower than the wait gets its delta in the background.
            }
        }

        return [.. answers.Where(a => a.IsCompletedSuccessfully && a.Result is not null).Select(a => a.Result!)];
    }

    /// <summary>The timer's turn: pick up a catalog push that was missed, then snapshot.</summary>
    private async Task OnTimerAsync()
    {
        try
        {
            await UpdateCatalogAsync(await GrainFactory.GetGrain<IEnvironmentGrain>(_environmentId).GetCatalogAsync());
            // And a budget index change that was missed: the version first, the index only when it moved.
            if (_catalog.OrgId is { } orgId && await GrainFactory.GetGrain<IOrgGrain>(orgId).GetBudgetIndexVersionAsync() != _router.IndexVersion)
            {
                await FetchBudgetIndexAsync();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCatalogRefreshFailed(_logger, ex, this.GetPrimaryKeyString());
        }

        // Only started: the timer must not hold the grain while a slow budget answers.
        StartDeliveries();
        await PersistSnapshotAsync();
    }

    private async Task PersistSnapshotAsync()
    {
        if (!_dirty)
        {
            return;
        }

        try
        {
            // Cleared before the write: a batch landing during it marks the state dirty again.
            _dirty = false;
            await _state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            // The ledger still holds everything; a missed snapshot only lengthens the next replay.
            _dirty = true;
            LogSnapshotFailed(_logger, ex, this.GetPrimaryKeyString());
        }
    }

    [LoggerMessage(1001, LogLevel.Information, "Gateway {Gateway} replayed {Count} ledger rows up to sequence {Watermark}")]
    private static partial void LogReplayed(ILogger logger, string gateway, int count, long watermark);

    [LoggerMessage(1002, LogLevel.Error, "Gateway {Gateway} could not append to the usage ledger; deactivating to recover")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string gateway);

    [LoggerMessage(1005, LogLevel.Warning, "Gateway {Gateway} could not deliver usage to budget {BudgetId}; will retry")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string gateway, string budgetId);

    [LoggerMessage(1004, LogLevel.Warning, "Gateway {Gateway} could not refresh its catalog; will retry")]
    private static partial void LogCatalogRefreshFailed(ILogger logger, Exception exception, string gateway);

    [LoggerMessage(1003, LogLevel.Warning, "Gateway {Gateway} could not persist its snapshot; will retry")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception, string gateway);

    [LoggerMessage(1006, LogLevel.Warning, "Gateway {Gateway} rejected event {RequestId}: it could not be priced or attributed")]
    private static partial void LogEventRefused(ILogger logger, Exception exception, string gateway, string requestId);

    /// <summary>One budget's undelivered deltas, oldest first.</summary>
    private sealed class BudgetOutbox
    {
        public Queue<PendingDelta> Queue { get; } = new();

        public bool Delivering { get; set; }
    }

    private sealed class PendingDelta(BudgetUsage usage)
    {
        public BudgetUsage Usage { get; } = usage;

        public TaskCompletionSource<BudgetStatus?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
