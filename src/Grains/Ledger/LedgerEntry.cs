using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// One row of the usage ledger: a priced, accepted upstream attempt. Identity is
/// (<see cref="EnvironmentId"/>, <see cref="RequestId"/>, <see cref="AttemptIndex"/>);
/// (<see cref="DpId"/>, <see cref="Sequence"/>) orders a gateway's rows for replay, and
/// <see cref="Position"/> orders all rows by commit (the export cursor). What the ingest knew of the
/// event's key and model is recorded with it: <see cref="ProviderKeyId"/>, <see cref="TeamId"/>,
/// <see cref="MemberId"/>, <see cref="KeyBound"/>, <see cref="PriceVersion"/>, so usage views and
/// budgets group by what was true when the event came, whatever changed since.
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
    public bool GuardrailBlocked { get; init; }
    public long? UpstreamTtftMs { get; init; }
    public long? DownstreamLatencyMs { get; init; }
    public string? RequestedModel { get; init; }
    public string? AttemptKind { get; init; }
    public string? ErrorClass { get; init; }
    public string? CacheStatus { get; init; }
    /// <summary>The provider key of the event's model at ingest; null when the model was unknown or had none.</summary>
    public string? ProviderKeyId { get; init; }
    /// <summary>The team of the event's API key at ingest, when the key was bound to the sending environment.</summary>
    public string? TeamId { get; init; }
    /// <summary>The member (user) of the event's API key at ingest, when the key was bound to the sending environment.</summary>
    public string? MemberId { get; init; }
    /// <summary>The event's API key was bound to the sending environment at ingest (API.md §3).</summary>
    public bool KeyBound { get; init; }
    /// <summary>The model's price version the event was priced with; null when it was not priced from a model.</summary>
    public int? PriceVersion { get; init; }
    /// <summary>Assigned by the store when the row is committed; <see cref="CommitPosition.Start"/> on a row not read back.</summary>
    public CommitPosition Position { get; init; }
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
        && GuardrailBlocked == other.GuardrailBlocked && UpstreamTtftMs == other.UpstreamTtftMs
        && DownstreamLatencyMs == other.DownstreamLatencyMs && RequestedModel == other.RequestedModel
        && AttemptKind == other.AttemptKind && ErrorClass == other.ErrorClass && CacheStatus == other.CacheStatus
        && ProviderKeyId == other.ProviderKeyId && TeamId == other.TeamId && MemberId == other.MemberId
        && KeyBound == other.KeyBound && PriceVersion == other.PriceVersion
        && Attributions.SequenceEqual(other.Attributions);

    /// <remarks>Equality is the row's content: <see cref="Position"/>, which the store assigns, is left out.</remarks>
    public override int GetHashCode() => HashCode.Combine(EnvironmentId, RequestId, AttemptIndex, DpId, Sequence);

    /// <summary>The rollup dimensions of this row.</summary>
    public RollupKey RollupKey => new(
        EnvironmentId, DpId, ApiKeyId, ModelId, ProviderKeyId ?? "", TeamId ?? "", MemberId ?? "",
        StatusClass.Of(StatusCode), AttemptKind ?? "", KeyBound);
    /// <summary>
    /// The row for an accepted event of a gateway, priced and attributed. <paramref name="model"/> is
    /// the event's model in the gateway's catalog (null when unknown there), <paramref name="price"/>
    /// its price version in force when the event occurred (null when none was), <paramref name="binding"/>
    /// its API key's binding when the key is bound to the gateway's environment.
    /// </summary>
    public static LedgerEntry From(
        UsageEvent usage, PricedUsage priced, string environmentId, string dpId, long sequence,
        DateTimeOffset receivedAt, ImmutableArray<BudgetAttribution> attributions,
        ModelDefinition? model = null, ModelPrice? price = null, ApiKeyBinding? binding = null) => new()
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
        GuardrailBlocked = usage.GuardrailBlocked,
        UpstreamTtftMs = usage.UpstreamTtftMs,
        DownstreamLatencyMs = usage.DownstreamLatencyMs,
        RequestedModel = usage.RequestedModel,
        AttemptKind = usage.AttemptKind,
        ErrorClass = usage.ErrorClass,
        CacheStatus = usage.CacheStatus,
        ProviderKeyId = model?.ProviderKeyId,
        TeamId = binding?.TeamId,
        MemberId = binding?.UserId,
        KeyBound = binding is not null,
        // The catalog's price was used unless the gateway's own cost was (or nothing was priced).
        PriceVersion = price is not null && !priced.Unpriced && (usage.ReportedCostUsd == 0m || usage.CacheHit) ? price.Version : null,
        Attributions = attributions,
    };
}
