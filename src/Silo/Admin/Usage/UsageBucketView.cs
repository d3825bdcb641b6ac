namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>A bucket of a usage view as API.md §6 writes it.</summary>
public sealed record UsageBucketView(string StartingAt, string EndingAt, bool Settled, IReadOnlyList<UsageResultView> Results);
