namespace BudgetCluster.Grains.Usage;

/// <summary>One stored rollup row: the sums of the ledger rows of <see cref="Key"/> in the minute or hour starting at <see cref="Start"/> (UTC).</summary>
public sealed record RollupRow(DateTimeOffset Start, RollupKey Key, UsageTotals Totals);
