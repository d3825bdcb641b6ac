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
        // One lookup (the key is ten strings: hashing and copying it is most of the work).
        ref var totals = ref CollectionsMarshal.GetValueRefOrAddDefault(rows, (StartOf(entry.OccurredAt, tier), entry.RollupKey), out _);
        (totals ??= new UsageTotals()).Add(entry);
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
            ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(coarser, (StartOf(start, tier), key), out _);
            (sum ??= new UsageTotals()).Add(totals);
        }

        return coarser;
    }
}
