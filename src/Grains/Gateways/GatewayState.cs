namespace BudgetCluster.Grains.Gateways;

/// <summary>
/// The persisted snapshot of a <see cref="GatewayGrain"/>. <see cref="Totals"/> cover exactly the
/// gateway's ledger rows with a sequence up to <see cref="LedgerWatermark"/>; rows above it are
/// replayed on activation.
/// </summary>
[GenerateSerializer]
[Alias("budgetcluster.gateway-state.v1")]
public sealed class GatewayState
{
    [Id(0)] public long LedgerWatermark { get; set; }
    [Id(1)] public GatewayTotals Totals { get; set; } = new();
    /// <summary>Health counter, not derived from the ledger: best effort since the last snapshot.</summary>
    [Id(2)] public long EventsDuplicate { get; set; }
    /// <summary>Health counter, not derived from the ledger: best effort since the last snapshot.</summary>
    [Id(3)] public long EventsRejected { get; set; }
    [Id(4)] public DateTimeOffset? LastBatchAt { get; set; }
    [Id(5)] public Dictionary<string, GatewayInstanceState> Instances { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Every budget delta of rows up to this sequence has been delivered; later ones are re-sent on activation.</summary>
    [Id(6)] public long BudgetWatermark { get; set; }
    /// <summary>Health counter, not derived from the ledger: accepted events whose key is not bound to this environment.</summary>
    [Id(7)] public long EventsUnboundKey { get; set; }
    /// <summary>
    /// Health counter, not derived from the ledger (rejected events are not in it): <see cref="EventsRejected"/>
    /// by <c>RejectionReasons</c> code, best effort since the last snapshot like it.
    /// </summary>
    [Id(8)] public Dictionary<string, long> EventsRejectedByReason { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The last heartbeat of one gateway instance.</summary>
[GenerateSerializer]
[Alias("budgetcluster.gateway-instance-state.v1")]
public sealed class GatewayInstanceState
{
    [Id(0)] public string? Hostname { get; set; }
    [Id(1)] public string? Version { get; set; }
    [Id(2)] public long? UptimeSeconds { get; set; }
    [Id(3)] public long? AppliedRevision { get; set; }
    [Id(4)] public string? ConfigHash { get; set; }
    [Id(5)] public DateTimeOffset LastHeartbeatAt { get; set; }
}
