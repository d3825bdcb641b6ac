namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>A bucket <c>[Start, End)</c> with its results on the page, sorted by group key.</summary>
public sealed record UsageBucket(DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<UsageResult> Results);
