using BudgetCluster.Grains.Abstractions.Definitions;
using Orleans.Concurrency;

namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>
/// One gateway (AISIX data plane) of an environment. Key: <c>{environment_id}/{dp_id}</c>,
/// built with <see cref="GatewayKey.Format"/>. Owns the gateway's ingest order: it deduplicates,
/// prices and appends its events to the usage ledger and keeps the gateway's totals.
/// </summary>
[Alias("budgetcluster.gateway")]
public interface IGatewayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a batch. Returns only once every accepted event is durable in the usage ledger;
    /// idempotent per event: an event already in the ledger is counted as a duplicate.
    /// Throws when durability cannot be promised; then nothing of the batch is counted in memory.
    /// </summary>
    [Alias("ingest-telemetry")]
    Task<TelemetryBatchResult> IngestTelemetryAsync(TelemetryBatch batch);

    /// <summary>Records that an instance is alive. Idempotent; the latest heartbeat wins.</summary>
    [Alias("record-heartbeat")]
    Task RecordHeartbeatAsync(GatewayHeartbeat heartbeat);

    /// <summary>Instances, telemetry counters and usage totals.</summary>
    [Alias("get-gateway-detail")]
    Task<GatewayDetail> GetGatewayDetailAsync();

    /// <summary>
    /// Replaces the cached definitions of the environment (pricing, keys) when they change.
    /// Idempotent; a catalog older than the cached one is ignored.
    /// </summary>
    [Alias("update-catalog")]
    Task UpdateCatalogAsync(EnvironmentCatalog catalog);

    /// <summary>
    /// Applies one change of the org's budget index when it follows the gateway's version; when a
    /// change is missing before it, fetches the whole index from the org. Older changes are ignored.
    /// Interleaves: applying is one synchronous step between the gateway's turns, and the org that
    /// pushes may be waiting on this gateway's fetch.
    /// </summary>
    [Alias("update-budget-index")]
    [AlwaysInterleave]
    Task UpdateBudgetIndexAsync(BudgetIndexChange change);
}
