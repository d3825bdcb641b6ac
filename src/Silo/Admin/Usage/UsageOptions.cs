namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>Configuration section <c>Usage</c>.</summary>
public sealed class UsageOptions
{
    public const string SectionName = "Usage";

    /// <summary>
    /// A bucket is <c>settled</c> once it ended more than this long before <c>as_of</c>: long enough
    /// for gateways' retried batches to have arrived. A later event can still change it (API.md §6).
    /// </summary>
    public TimeSpan SettleAfter { get; set; } = TimeSpan.FromMinutes(15);
}
