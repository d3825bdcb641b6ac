namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>The width of a usage view's time buckets (API.md §6 <c>bucket_width</c>).</summary>
public enum BucketWidth
{
    /// <summary><c>1m</c>: a minute.</summary>
    Minute,
    /// <summary><c>1h</c>: a local clock hour.</summary>
    Hour,
    /// <summary><c>1d</c>: a local day, from midnight to midnight.</summary>
    Day,
    /// <summary><c>1w</c>: a local week, from Monday midnight.</summary>
    Week,
    /// <summary><c>1mo</c>: a local calendar month.</summary>
    Month,
}
