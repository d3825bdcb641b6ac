using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>The sums of one group in one bucket.</summary>
public sealed record UsageResult(GroupKey Key, UsageTotals Totals);
