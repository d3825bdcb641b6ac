namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// One row of the usage ledger: a priced, accepted upstream attempt. Identity is
/// (<see cref="EnvironmentId"/>, <see cref="RequestId"/>, <see cref="AttemptIndex"/>);
/// (<see cref="DpId"/>, <see cref="Sequence"/>) orders a gateway's rows for replay.
/// </summary>
public sealed record LedgerEntry
{
    public required string EnvironmentId { get; init; }
    public required string RequestId { get; init; }
    public required int AttemptIndex { get; init; }
    public required string DpId { get; init; }
    public required long Sequence { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required string ModelId { get; init; }
    public required string ApiKeyId { get; init; }
    public required long PromptTokens { get; init; }
    public required long CompletionTokens { get; init; }
    public long CachedPromptTokens { get; init; }
    public long CacheCreationTokens { get; init; }
    public long CacheReadTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public required int StatusCode { get; init; }
    public required long UpstreamLatencyMs { get; init; }
    public required decimal CostUsd { get; init; }
    public required decimal CacheSavingsUsd { get; init; }
    public required bool Unpriced { get; init; }
    public required bool CacheHit { get; init; }
}
