namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>The calendar period a budget's limit applies to, aligned in the budget's time zone.</summary>
[GenerateSerializer]
[Alias("budgetcluster.budget-period")]
public enum BudgetPeriod
{
    Day = 0,
    /// <summary>Monday 00:00 to the next Monday 00:00.</summary>
    Week = 1,
    Month = 2,
}
