namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// Where a page of a usage view starts: at bucket <see cref="Bucket"/> (an index into the query's
/// buckets), after the result <see cref="After"/> of it (null: from its first result).
/// </summary>
public sealed record UsagePosition(int Bucket, GroupKey? After)
{
    public static UsagePosition Start { get; } = new(0, null);
}
