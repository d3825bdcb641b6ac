namespace BudgetCluster.Grains.Billing;

/// <summary>Configuration section <c>Billing</c>.</summary>
public sealed class BillingOptions
{
    public const string SectionName = "Billing";

    /// <summary>How long after its period ends a statement closes by itself (API.md §8).</summary>
    public TimeSpan CloseAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How often each silo asks every org to close its due statements.</summary>
    public TimeSpan CloseCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after a period ends events for it can still arrive: the data plane's
    /// <c>DataPlane:MaxEventAge</c> (set from it by the silo). A closed period older than that gets
    /// no more adjustments, so a statement stops reading it.
    /// </summary>
    public TimeSpan LateEventWindow { get; set; } = TimeSpan.FromDays(35);
}
