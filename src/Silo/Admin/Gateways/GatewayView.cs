namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>A gateway: its instances, telemetry health and usage totals.</summary>
public sealed record GatewayView(
    string DpId,
    IReadOnlyList<GatewayInstanceView> Instances,
    GatewayTelemetryView Telemetry,
    GatewayUsageView Usage);

/// <summary>One instance of a gateway as last seen by heartbeat.</summary>
public sealed record GatewayInstanceView(string InstanceId, string? Hostname, string? Version, string LastHeartbeatAt);

/// <summary>Telemetry health counters.</summary>
public sealed record GatewayTelemetryView(
    string? LastBatchAt, long EventsAccepted, long EventsDuplicate, long EventsRejected, long EventsUnpriced, long EventsUnboundKey);

/// <summary>Usage totals; money as decimal strings.</summary>
public sealed record GatewayUsageView(
    long Requests, long PromptTokens, long CompletionTokens, string SpendUsd, string CacheSavingsUsd);
