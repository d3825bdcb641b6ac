namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>A page of a usage view: its buckets in order, and where the next page starts (null: this was the last).</summary>
public sealed record UsagePage(IReadOnlyList<UsageBucket> Buckets, UsagePosition? Next);
