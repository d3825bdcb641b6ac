using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Budgets;

/// <summary>Turns a committed batch into one delta per budget, as API.md's ingest promises: one call per budget per batch.</summary>
public static class BudgetDeltas
{
    /// <summary>
    /// Per budget: the spend of the batch's new rows, summed per period, with the sequence range of
    /// exactly those rows (so a budget that rebuilt itself from the ledger sees the range as whole
    /// or not at all).
    /// </summary>
    public static IEnumerable<(string BudgetId, BudgetUsage Usage)> FromBatch(
        string gateway, IReadOnlyList<LedgerEntry> entries, IReadOnlyList<bool> inserted)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(inserted);
        var rows = new Dictionary<string, List<(long Sequence, DateTimeOffset PeriodStart, decimal Cost)>>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (!inserted[i] || entry.CostUsd == 0m)
            {
                continue;
            }

            foreach (var attribution in entry.Attributions)
            {
                if (!rows.TryGetValue(attribution.BudgetId, out var list))
                {
                    rows[attribution.BudgetId] = list = [];
                }

                list.Add((entry.Sequence, attribution.PeriodStart, entry.CostUsd));
            }
        }

        return rows.Select(pair => (pair.Key, new BudgetUsage
        {
            Gateway = gateway,
            FromSequence = pair.Value.Min(r => r.Sequence),
            ToSequence = pair.Value.Max(r => r.Sequence),
            Amounts = [.. pair.Value
                .GroupBy(r => r.PeriodStart)
                .OrderBy(g => g.Key)
                .Select(g => new PeriodAmount(g.Key, g.Sum(r => r.Cost)))],
        }));
    }
}
