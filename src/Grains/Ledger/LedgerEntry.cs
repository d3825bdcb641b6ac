using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Pricing;

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
    /// <summary>The budgets this row counts toward; stored only when the row is new and costs something.</summary>
    public ImmutableArray<BudgetAttribution> Attributions { get; init; } = [];

    public bool Equals(LedgerEntry? other) =>
        other is not null && EqualityContract == other.EqualityContract
        && EnvironmentId == other.EnvironmentId && RequestId == other.RequestId && AttemptIndex == other.AttemptIndex
        && DpId == other.DpId && Sequence == other.Sequence && OccurredAt == other.OccurredAt && ReceivedAt == other.ReceivedAt
        && ModelId == other.ModelId && ApiKeyId == other.ApiKeyId && PromptTokens == other.PromptTokens
        && CompletionTokens == other.CompletionTokens && CachedPromptTokens == other.CachedPromptTokens
        && CacheCreationTokens == other.CacheCreationTokens && CacheReadTokens == other.CacheReadTokens
        && ReasoningTokens == other.ReasoningTokens && StatusCode == other.StatusCode
        && UpstreamLatencyMs == other.UpstreamLatencyMs && CostUsd == other.CostUsd
        && CacheSavingsUsd == other.CacheSavingsUsd && Unpriced == other.Unpriced && CacheHit == other.CacheHit
        && Attributions.SequenceEqual(other.Attributions);

    public override int GetHashCode() => HashCode.Combine(EnvironmentId, RequestId, AttemptIndex, DpId, Sequence);
    /// <summary>The row for an accepted event of a gateway, priced and attributed.</summary>
    public static LedgerEntry From(
        UsageEvent usage, PricedUsage priced, string environmentId, string dpId, long sequence,
        DateTimeOffset receivedAt, ImmutableArray<BudgetAttribution> attributions) => new()
    {
        EnvironmentId = environmentId,
        RequestId = usage.RequestId,
        AttemptIndex = usage.AttemptIndex,
        DpId = dpId,
        Sequence = sequence,
        OccurredAt = usage.OccurredAt,
        ReceivedAt = receivedAt,
        ModelId = usage.ModelId,
        ApiKeyId = usage.ApiKeyId,
        PromptTokens = usage.PromptTokens,
        CompletionTokens = usage.CompletionTokens,
        CachedPromptTokens = usage.CachedPromptTokens,
        CacheCreationTokens = usage.CacheCreationTokens,
        CacheReadTokens = usage.CacheReadTokens,
        ReasoningTokens = usage.ReasoningTokens,
        StatusCode = usage.StatusCode,
        UpstreamLatencyMs = usage.UpstreamLatencyMs,
        CostUsd = priced.CostUsd,
        CacheSavingsUsd = priced.CacheSavingsUsd,
        Unpriced = priced.Unpriced,
        CacheHit = usage.CacheHit,
        Attributions = attributions,
    };
}
