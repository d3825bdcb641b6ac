using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// The sums of a set of ledger rows that a usage view reports (API.md §6): the content of one
/// rollup row, and of one result of a query (rollup rows added together). Every field adds, so
/// sums of sums are exact; latency percentiles come from the histograms.
/// </summary>
public sealed class UsageTotals
{
    public long Attempts { get; set; }
    public long Requests { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public long CachedPromptTokens { get; set; }
    public long CacheCreationTokens { get; set; }
    public long CacheReadTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public decimal SpendUsd { get; set; }
    public decimal CacheSavingsUsd { get; set; }
    public long CacheHits { get; set; }
    public long UnpricedAttempts { get; set; }
    public long ErrorAttempts { get; set; }
    public long BudgetDenied { get; set; }
    public long LatencySumMs { get; set; }
    public long LatencyMaxMs { get; set; }
    public LatencyHistogram Latency { get; set; } = new();
    /// <summary>Attempts that reported a time to first token (streamed ones).</summary>
    public long TtftCount { get; set; }
    public long TtftSumMs { get; set; }
    public LatencyHistogram Ttft { get; set; } = new();

    public void Add(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Attempts++;
        Requests += entry.AttemptIndex == 0 ? 1 : 0;
        PromptTokens += entry.PromptTokens;
        CompletionTokens += entry.CompletionTokens;
        CachedPromptTokens += entry.CachedPromptTokens;
        CacheCreationTokens += entry.CacheCreationTokens;
        CacheReadTokens += entry.CacheReadTokens;
        ReasoningTokens += entry.ReasoningTokens;
        SpendUsd += entry.CostUsd;
        CacheSavingsUsd += entry.CacheSavingsUsd;
        CacheHits += entry.CacheHit ? 1 : 0;
        UnpricedAttempts += entry.Unpriced ? 1 : 0;
        ErrorAttempts += StatusClass.IsError(entry.StatusCode) ? 1 : 0;
        BudgetDenied += StatusClass.IsBudgetDenied(entry.StatusCode, entry.ErrorClass) ? 1 : 0;
        LatencySumMs += entry.UpstreamLatencyMs;
        LatencyMaxMs = Math.Max(LatencyMaxMs, entry.UpstreamLatencyMs);
        Latency.Add(entry.UpstreamLatencyMs);
        if (entry.UpstreamTtftMs is { } ttft)
        {
            TtftCount++;
            TtftSumMs += ttft;
            Ttft.Add(ttft);
        }
    }

    public void Add(UsageTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Attempts += other.Attempts;
        Requests += other.Requests;
        PromptTokens += other.PromptTokens;
        CompletionTokens += other.CompletionTokens;
        CachedPromptTokens += other.CachedPromptTokens;
        CacheCreationTokens += other.CacheCreationTokens;
        CacheReadTokens += other.CacheReadTokens;
        ReasoningTokens += other.ReasoningTokens;
        SpendUsd += other.SpendUsd;
        CacheSavingsUsd += other.CacheSavingsUsd;
        CacheHits += other.CacheHits;
        UnpricedAttempts += other.UnpricedAttempts;
        ErrorAttempts += other.ErrorAttempts;
        BudgetDenied += other.BudgetDenied;
        LatencySumMs += other.LatencySumMs;
        LatencyMaxMs = Math.Max(LatencyMaxMs, other.LatencyMaxMs);
        Latency.Add(other.Latency);
        TtftCount += other.TtftCount;
        TtftSumMs += other.TtftSumMs;
        Ttft.Add(other.Ttft);
    }
}
