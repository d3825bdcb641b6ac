namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>The kinds of budget transition subscribers are told about.</summary>
[GenerateSerializer]
[Alias("budgetcluster.transition-kind")]
public enum TransitionKind
{
    /// <summary><c>budget.threshold</c>: spend crossed a threshold, once per threshold per period.</summary>
    Threshold = 0,
    /// <summary><c>budget.exceeded</c>: spend reached the limit, or an exceeded budget became blocking.</summary>
    Exceeded = 1,
    /// <summary><c>budget.cleared</c>: a budget stopped being exceeded, warning or blocking.</summary>
    Cleared = 2,
}
