namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>
/// One validated upstream attempt reported by a gateway. The ingress builds it only from
/// an event that passed every rule of API.md §3, so grains trust its shape.
/// Identity within an environment is (<see cref="RequestId"/>, <see cref="AttemptIndex"/>).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.usage-event")]
public sealed record UsageEvent
{
    [Id(0)] public required string RequestId { get; init; }
    [Id(1)] public required int AttemptIndex { get; init; }
    [Id(2)] public required DateTimeOffset OccurredAt { get; init; }
    [Id(3)] public required string ModelId { get; init; }
    [Id(4)] public required string ApiKeyId { get; init; }
    [Id(5)] public required long PromptTokens { get; init; }
    [Id(6)] public required long CompletionTokens { get; init; }
    [Id(7)] public long CachedPromptTokens { get; init; }
    [Id(8)] public long CacheCreationTokens { get; init; }
    [Id(9)] public long CacheReadTokens { get; init; }
    [Id(10)] public long ReasoningTokens { get; init; }
    [Id(11)] public decimal AudioDurationSeconds { get; init; }
    [Id(12)] public required int StatusCode { get; init; }
    [Id(13)] public required long UpstreamLatencyMs { get; init; }
    [Id(14)] public long? UpstreamTtftMs { get; init; }
    /// <summary>Cost in USD as the gateway reported it; zero means "price it here".</summary>
    [Id(15)] public required decimal ReportedCostUsd { get; init; }
    [Id(16)] public bool GuardrailBlocked { get; init; }
    /// <summary>True when the gateway answered from its response cache (<c>cache_status: "hit"</c>).</summary>
    [Id(17)] public bool CacheHit { get; init; }
    [Id(18)] public long CacheHitSavedInputTokens { get; init; }
    [Id(19)] public long CacheHitSavedOutputTokens { get; init; }
    [Id(20)] public string? RequestedModel { get; init; }
    [Id(21)] public string? AttemptKind { get; init; }
    [Id(22)] public string? ErrorClass { get; init; }
    /// <summary>The gateway's response-cache outcome as sent (<c>hit</c>, <c>miss</c>, <c>disabled</c>, ...); null when absent.</summary>
    [Id(23)] public string? CacheStatus { get; init; }
    /// <summary>Time the gateway took to answer its client, when it says.</summary>
    [Id(24)] public long? DownstreamLatencyMs { get; init; }
}
