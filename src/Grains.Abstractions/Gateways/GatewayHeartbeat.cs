namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>One <c>POST /dp/heartbeat</c> from a gateway instance.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-heartbeat")]
public sealed record GatewayHeartbeat
{
    [Id(0)] public required string InstanceId { get; init; }
    [Id(1)] public string? Hostname { get; init; }
    [Id(2)] public string? Version { get; init; }
    [Id(3)] public long? UptimeSeconds { get; init; }
    [Id(4)] public long? AppliedRevision { get; init; }
    [Id(5)] public string? ConfigHash { get; init; }
    [Id(6)] public required DateTimeOffset ReceivedAt { get; init; }
}
