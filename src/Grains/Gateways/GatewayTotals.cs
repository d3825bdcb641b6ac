using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Gateways;

/// <summary>
/// A gateway's usage totals, derived only from its ledger rows, so live ingest and replay
/// after a crash compute the same numbers by the same code. <see cref="Errors"/> and
/// <see cref="BudgetDenied"/> were added later: a snapshot taken before holds 0 for them, so
/// they count the rows ingested since (the earlier rows' error class was not kept anyway). Token
/// totals saturate: one that would pass <see cref="long.MaxValue"/> stays there instead of
/// wrapping to a negative number (the counts move by one per event and cannot get there).
/// </summary>
[GenerateSerializer]
[Alias("budgetcluster.gateway-totals")]
public sealed class GatewayTotals
{
    /// <summary>Accepted upstream attempts.</summary>
    [Id(0)] public long Events { get; set; }
    /// <summary>Gateway requests: accepted events with attempt index 0 (every request has exactly one).</summary>
    [Id(1)] public long Requests { get; set; }
    [Id(2)] public long PromptTokens { get; set; }
    [Id(3)] public long CompletionTokens { get; set; }
    [Id(4)] public decimal SpendUsd { get; set; }
    [Id(5)] public decimal CacheSavingsUsd { get; set; }
    /// <summary>Events with tokens whose model had no pricing.</summary>
    [Id(6)] public long Unpriced { get; set; }
    /// <summary>Attempts with status 400 or above (<see cref="StatusClass.IsError"/>).</summary>
    [Id(7)] public long Errors { get; set; }
    /// <summary>Attempts the gateway answered 429 for a budget (<see cref="StatusClass.IsBudgetDenied"/>); also in <see cref="Errors"/>.</summary>
    [Id(8)] public long BudgetDenied { get; set; }

    public void Apply(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Events++;
        if (entry.AttemptIndex == 0)
        {
            Requests++;
        }

        PromptTokens = Saturating(PromptTokens, entry.PromptTokens);
        CompletionTokens = Saturating(CompletionTokens, entry.CompletionTokens);
        SpendUsd += entry.CostUsd;
        CacheSavingsUsd += entry.CacheSavingsUsd;
        if (entry.Unpriced)
        {
            Unpriced++;
        }

        if (StatusClass.IsError(entry.StatusCode))
        {
            Errors++;
        }

        if (StatusClass.IsBudgetDenied(entry.StatusCode, entry.ErrorClass))
        {
            BudgetDenied++;
        }
    }

    /// <summary><paramref name="total"/> + <paramref name="tokens"/> (never negative), or <see cref="long.MaxValue"/> where that would overflow.</summary>
    private static long Saturating(long total, long tokens) =>
        tokens > long.MaxValue - total ? long.MaxValue : total + tokens;
}
