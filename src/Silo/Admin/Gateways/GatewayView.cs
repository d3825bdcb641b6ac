namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>A gateway: its instances, telemetry health and usage totals.</summary>
public sealed record GatewayView(
    string DpId,
    IReadOnlyList<GatewayInstanceView> Instances,
    GatewayTelemetryView Telemetry,
    GatewayUsageView Usage);

/// <summary>One instance of a gateway as last seen by heartbeat.</summary>
public sealed record GatewayInstanceView(string InstanceId, string? Hostname, string? Version, string LastHeartbeatAt);

/// <summary>
/// Telemetry health counters. <see cref="EventsRejectedByReason"/> has a key for every reason code
/// (0 when it never happened), so a dashboard or script reads a fixed shape.
/// </summary>
public sealed record GatewayTelemetryView(
    string? LastBatchAt, long EventsAccepted, long EventsDuplicate, long EventsRejected, long EventsUnpriced, long EventsUnboundKey,
    IReadOnlyDictionary<string, long> EventsRejectedByReason);

/// <summary>Usage totals; money as decimal strings. <see cref="Errors"/>: attempts with status ≥ 400; <see cref="BudgetDenied"/>: the gateway's own 429s for a budget.</summary>
public sealed record GatewayUsageView(
    long Requests, long PromptTokens, long CompletionTokens, string SpendUsd, string CacheSavingsUsd, long Errors, long BudgetDenied);
