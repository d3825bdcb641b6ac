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
    /// <summary>Budget deltas not yet delivered, in sequence order; delivered in order per budget.</summary>
    private readonly List<(string BudgetId, BudgetUsage Usage)> _undelivered = [];
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
        var environment = GrainFactory.GetGrain<IEnvironmentGrain>(_environmentId);
        SetCatalog(await environment.GetCatalogAsync());
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
            _undelivered.Add((row.BudgetId, new BudgetUsage
            {
                Gateway = gateway,
                FromSequence = row.Sequence,
                ToSequence = row.Sequence,
                Amounts = [new PeriodAmount(row.PeriodStart, row.CostUsd)],
            }));
        }

        await DeliverBudgetUsageAsync();

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
        var seen = new HashSet<(string, int)>();
        var duplicates = 0;
        var sequence = _lastSequence;
        foreach (var usage in batch.Events)
        {
            if (!seen.Add((usage.RequestId, usage.AttemptIndex)))
            {
                duplicates++;
                continue;
            }

            entries.Add(ToLedgerEntry(usage, ++sequence, batch.ReceivedAt));
        }

        bool[] inserted;
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
        state.EventsRejected += batch.RejectedCount;
        state.LastBatchAt = batch.ReceivedAt;
        _dirty = true;

        // The events are durable with their attributions: a delta that cannot be delivered now is
        // retried by the timer, or re-sent from the ledger after a crash. It never fails the batch.
        _undelivered.AddRange(BudgetDeltas.FromBatch(this.GetPrimaryKeyString(), entries, inserted));
        var transitioned = await DeliverBudgetUsageAsync();
        return new TelemetryBatchResult(accepted, duplicates) { Transitioned = transitioned };
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
                state.LastBatchAt, totals.Events, state.EventsDuplicate, state.EventsRejected, totals.Unpriced),
            Usage = new GatewayUsage(
                totals.Requests, totals.PromptTokens, totals.CompletionTokens, totals.SpendUsd, totals.CacheSavingsUsd),
        };
        return Task.FromResult(detail);
    }

    public Task UpdateCatalogAsync(EnvironmentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.Version > _catalog.Version)
        {
            SetCatalog(catalog);
        }

        return Task.CompletedTask;
    }

    private LedgerEntry ToLedgerEntry(UsageEvent usage, long sequence, DateTimeOffset receivedAt)
    {
        var pricing = _catalog.Models.TryGetValue(usage.ModelId, out var model) ? model.Pricing : null;
        var priced = UsagePricer.Price(usage, pricing);
        var attributions = priced.CostUsd == 0m ? [] : _router.Attribute(usage);
        return LedgerEntry.From(usage, priced, _environmentId, _dpId, sequence, receivedAt, attributions);
    }

    private void SetCatalog(EnvironmentCatalog catalog)
    {
        _catalog = catalog;
        _router = BudgetRouter.For(_environmentId, catalog);
    }

    /// <summary>
    /// Delivers undelivered deltas: budgets in parallel, each budget's deltas in order, stopping at
    /// a budget's first failure so that none overtakes an earlier one (a budget ignores a range at
    /// or below what it has counted).
    /// </summary>
    /// <returns>The statuses of budgets that changed state on this delivery.</returns>
    private async Task<ImmutableArray<BudgetStatus>> DeliverBudgetUsageAsync()
    {
        if (_undelivered.Count == 0)
        {
            _state.State.BudgetWatermark = _lastSequence;
            return [];
        }

        var delivered = new HashSet<BudgetUsage>(ReferenceEqualityComparer.Instance);
        var transitioned = new List<BudgetStatus>(); // the tasks below take turns on the grain's scheduler
        await Task.WhenAll(_undelivered.GroupBy(d => d.BudgetId).Select(async deltas =>
        {
            var budget = GrainFactory.GetGrain<IBudgetGrain>(deltas.Key);
            foreach (var (_, usage) in deltas)
            {
                try
                {
                    if (await budget.ApplyUsageAsync(usage) is { } status)
                    {
                        transitioned.Add(status);
                    }

                    delivered.Add(usage);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogDeliveryFailed(_logger, ex, this.GetPrimaryKeyString(), deltas.Key);
                    return;
                }
            }
        }));

        _undelivered.RemoveAll(d => delivered.Contains(d.Usage));
        _state.State.BudgetWatermark = _undelivered.Count == 0 ? _lastSequence : _undelivered.Min(d => d.Usage.FromSequence) - 1;
        _dirty = true;
        return [.. transitioned];
    }

    /// <summary>The timer's turn: pick up a catalog push that was missed, then snapshot.</summary>
    private async Task OnTimerAsync()
    {
        try
        {
            await UpdateCatalogAsync(await GrainFactory.GetGrain<IEnvironmentGrain>(_environmentId).GetCatalogAsync());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCatalogRefreshFailed(_logger, ex, this.GetPrimaryKeyString());
        }

        await DeliverBudgetUsageAsync();
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
}
