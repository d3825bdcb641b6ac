namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>What a <see cref="BudgetEvent"/> on the budget stream says.</summary>
[GenerateSerializer]
[Alias("budgetcluster.budget-event-kind")]
public enum BudgetEventKind
{
    /// <summary>A transition: <c>budget.threshold</c>.</summary>
    Threshold = 0,
    /// <summary>A transition: <c>budget.exceeded</c>.</summary>
    Exceeded = 1,
    /// <summary>A transition: <c>budget.cleared</c>.</summary>
    Cleared = 2,
    /// <summary>Not a transition: the budget's current status (created, replaced, spend moved, reactivated).</summary>
    Status = 3,
    /// <summary>Not a transition: the budget no longer exists.</summary>
    Deleted = 4,
}
