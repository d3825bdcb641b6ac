using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>What the admin API shows for one gateway.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-detail")]
public sealed record GatewayDetail
{
    [Id(0)] public required string DpId { get; init; }
    [Id(1)] public required ImmutableArray<GatewayInstance> Instances { get; init; }
    [Id(2)] public required GatewayTelemetry Telemetry { get; init; }
    [Id(3)] public required GatewayUsage Usage { get; init; }
}

/// <summary>One running process of a gateway, as last seen by heartbeat.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-instance")]
public sealed record GatewayInstance(
    [property: Id(0)] string InstanceId,
    [property: Id(1)] string? Hostname,
    [property: Id(2)] string? Version,
    [property: Id(3)] DateTimeOffset LastHeartbeatAt);

/// <summary>
/// Telemetry health counters of a gateway. <c>EventsUnboundKey</c> counts accepted events whose API
/// key is not bound to the gateway's environment (API.md §3); <c>EventsRejectedByReason</c> splits
/// <c>EventsRejected</c> by <see cref="RejectionReasons"/> code (only codes that occurred).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-telemetry")]
public sealed record GatewayTelemetry(
    [property: Id(0)] DateTimeOffset? LastBatchAt,
    [property: Id(1)] long EventsAccepted,
    [property: Id(2)] long EventsDuplicate,
    [property: Id(3)] long EventsRejected,
    [property: Id(4)] long EventsUnpriced,
    [property: Id(5)] long EventsUnboundKey,
    [property: Id(6)] ImmutableDictionary<string, long> EventsRejectedByReason);

/// <summary>
/// Usage totals of a gateway over everything it ever reported. <c>Errors</c> counts attempts with
/// status 400 or above, <c>BudgetDenied</c> those the gateway itself answered 429 for a budget (a
/// subset of <c>Errors</c>).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-usage")]
public sealed record GatewayUsage(
    [property: Id(0)] long Requests,
    [property: Id(1)] long PromptTokens,
    [property: Id(2)] long CompletionTokens,
    [property: Id(3)] decimal SpendUsd,
    [property: Id(4)] decimal CacheSavingsUsd,
    [property: Id(5)] long Errors,
    [property: Id(6)] long BudgetDenied);
