namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>Where a budget's spend stands against its limit in the current period.</summary>
[GenerateSerializer]
[Alias("budgetcluster.budget-state")]
public enum BudgetState
{
    Ok = 0,
    /// <summary>Spend has reached a threshold but not the limit.</summary>
    Warning = 1,
    /// <summary>Spend ≥ limit.</summary>
    Exceeded = 2,
}
