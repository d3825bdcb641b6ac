using System.Collections.Immutable;
using System.Text.Json.Serialization;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// One result of a usage view (API.md §6): the values of its <c>group_by</c> dimensions (the others
/// are left out), then its sums. Money is a decimal string; latency percentiles are the
/// histogram's (<see cref="LatencyHistogram"/>: within 4.4% of the exact value, never above the maximum).
/// </summary>
public sealed record UsageResultView
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? EnvironmentId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? DpId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? ApiKeyId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? ModelId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? ProviderKeyId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? TeamId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? MemberId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? StatusClass { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GroupValue? AttemptKind { get; init; }
    /// <summary>The group key the ids are from (<c>""</c> for absent), in <c>group_by</c> order; not on the wire.</summary>
    [JsonIgnore] public GroupKey Key { get; init; } = new([]);
    public required long Requests { get; init; }
    public required long Attempts { get; init; }
    public required long PromptTokens { get; init; }
    public required long CompletionTokens { get; init; }
    public required long CachedPromptTokens { get; init; }
    public required long CacheCreationTokens { get; init; }
    public required long CacheReadTokens { get; init; }
    public required long ReasoningTokens { get; init; }
    public required string SpendUsd { get; init; }
    public required string CacheSavingsUsd { get; init; }
    public required long CacheHits { get; init; }
    public required long UnpricedAttempts { get; init; }
    public required long ErrorAttempts { get; init; }
    public required long BudgetDenied { get; init; }
    public required LatencyView UpstreamLatencyMs { get; init; }
    public required TtftView TtftMs { get; init; }

    public static UsageResultView From(UsageResult result, ImmutableArray<UsageDimension> groupBy)
    {
        ArgumentNullException.ThrowIfNull(result);
        var totals = result.Totals;
        GroupValue? Group(UsageDimension dimension)
        {
            var index = groupBy.IndexOf(dimension);
            return index < 0 ? null : GroupValue.Of(result.Key.Values[index]);
        }

        return new UsageResultView
        {
            Key = result.Key,
            EnvironmentId = Group(UsageDimension.Environment),
            DpId = Group(UsageDimension.Gateway),
            ApiKeyId = Group(UsageDimension.ApiKey),
            ModelId = Group(UsageDimension.Model),
            ProviderKeyId = Group(UsageDimension.ProviderKey),
            TeamId = Group(UsageDimension.Team),
            MemberId = Group(UsageDimension.Member),
            StatusClass = Group(UsageDimension.StatusClass),
            AttemptKind = Group(UsageDimension.AttemptKind),
            Requests = totals.Requests,
            Attempts = totals.Attempts,
            PromptTokens = totals.PromptTokens,
            CompletionTokens = totals.CompletionTokens,
            CachedPromptTokens = totals.CachedPromptTokens,
            CacheCreationTokens = totals.CacheCreationTokens,
            CacheReadTokens = totals.CacheReadTokens,
            ReasoningTokens = totals.ReasoningTokens,
            SpendUsd = WireFormat.Usd(totals.SpendUsd),
            CacheSavingsUsd = WireFormat.Usd(totals.CacheSavingsUsd),
            CacheHits = totals.CacheHits,
            UnpricedAttempts = totals.UnpricedAttempts,
            ErrorAttempts = totals.ErrorAttempts,
            BudgetDenied = totals.BudgetDenied,
            UpstreamLatencyMs = new LatencyView(
                Average(totals.LatencySumMs, totals.Attempts) ?? 0,
                totals.Latency.Percentile(0.5, totals.LatencyMaxMs),
                totals.Latency.Percentile(0.95, totals.LatencyMaxMs),
                totals.LatencyMaxMs),
            TtftMs = new TtftView(Average(totals.TtftSumMs, totals.TtftCount), totals.Ttft.Percentile(0.95)),
        };
    }

    private static double? Average(long sum, long count) => count == 0 ? null : Math.Round(sum / (double)count, 2);
}
