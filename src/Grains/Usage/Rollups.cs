using System.Runtime.InteropServices;
using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// The time arithmetic of rollup rows (UTC minutes, hours, days) and the summing of ledger rows
/// per (tier start, <see cref="RollupKey"/>) that <see cref="RollupFold"/> is built from.
/// </summary>
public static class Rollups
{
    public static TimeSpan Width(RollupTier tier) => tier switch
    {
        RollupTier.Minute => TimeSpan.FromMinutes(1),
        RollupTier.Hour => TimeSpan.FromHours(1),
        RollupTier.Day => TimeSpan.FromDays(1),
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    /// <summary>The start (UTC) of the <paramref name="tier"/> row an instant falls in.</summary>
    public static DateTimeOffset StartOf(DateTimeOffset instant, RollupTier tier)
    {
        var ticks = Width(tier).Ticks;
        var utc = instant.UtcTicks;
        return new DateTimeOffset(utc - (utc % ticks), TimeSpan.Zero);
    }

    /// <summary>Adds one row to the <paramref name="tier"/> sums being built in <paramref name="rows"/>.</summary>
    public static void Add(Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> rows, LedgerEntry entry, RollupTier tier)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(entry);
        SumOf(rows, (StartOf(entry.OccurredAt, tier), entry.RollupKey)).Add(entry);
    }

    /// <summary>
    /// The sums of <paramref name="key"/>'s row in <paramref name="rows"/>, added empty if it has
    /// none: one lookup (a full key is ten strings, and hashing and copying it is most of the work).
    /// </summary>
    public static UsageTotals SumOf<TKey>(Dictionary<TKey, UsageTotals> rows, TKey key)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(rows);
        ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(rows, key, out _);
        return sum ??= new UsageTotals();
    }

    /// <summary>
    /// The sums of finer rows (minutes) per row of a coarser <paramref name="tier"/> (hours): what a
    /// store adds to the hour rows, summed from the minute rows it adds, so each entry is summed once.
    /// </summary>
    public static Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> Coarsen(
        Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> rows, RollupTier tier)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var coarser = new Dictionary<(DateTimeOffset, RollupKey), UsageTotals>();
        foreach (var ((start, key), totals) in rows)
        {
            SumOf(coarser, (StartOf(start, tier), key)).Add(totals);
        }

        return coarser;
    }
}
