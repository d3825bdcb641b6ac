using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Budgets;

/// <summary>A transition to announce, with the threshold it is about (threshold transitions only).</summary>
public readonly record struct Announcement(TransitionKind Kind, decimal? Threshold = null)
{
    public static Announcement Exceeded { get; } = new(TransitionKind.Exceeded);

    public static Announcement Cleared { get; } = new(TransitionKind.Cleared);

    public static Announcement ThresholdAt(decimal threshold) => new(TransitionKind.Threshold, threshold);
}
