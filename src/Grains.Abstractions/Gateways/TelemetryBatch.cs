using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>The valid events of one <c>POST /dp/telemetry</c> body, in body order.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.telemetry-batch")]
public sealed record TelemetryBatch
{
    [Id(0)] public required ImmutableArray<UsageEvent> Events { get; init; }
    /// <summary>How many events of the same body the ingress rejected; kept for telemetry health.</summary>
    [Id(1)] public int RejectedCount { get; init; }
    [Id(2)] public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary>
    /// The ingress's rejections of the same body by reason (<see cref="RejectionReasons"/>); its
    /// counts sum to <see cref="RejectedCount"/> (an older ingress sends none).
    /// </summary>
    [Id(3)] public ImmutableDictionary<string, int> RejectedByReason { get; init; } = ImmutableDictionary<string, int>.Empty;
}
