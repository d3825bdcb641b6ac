namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>
/// An item of an organization's budget stream (<see cref="BudgetStreams"/>). Transitions carry the
/// version they created; status refreshes carry the current version, so a consumer keeps, per
/// budget, the status with the highest version and, among equal versions, the latest.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-event")]
public sealed record BudgetEvent
{
    [Id(0)] public required BudgetEventKind Kind { get; init; }
    [Id(1)] public required BudgetStatus Status { get; init; }
    /// <summary>The threshold crossed, for <see cref="BudgetEventKind.Threshold"/>.</summary>
    [Id(2)] public decimal? Threshold { get; init; }
    [Id(3)] public required DateTimeOffset OccurredAt { get; init; }

    public bool IsTransition => Kind is BudgetEventKind.Threshold or BudgetEventKind.Exceeded or BudgetEventKind.Cleared;
}
