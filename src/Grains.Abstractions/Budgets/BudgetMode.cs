namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>Whether an exhausted budget stops requests or only reports.</summary>
[GenerateSerializer]
[Alias("budgetcluster.budget-mode")]
public enum BudgetMode
{
    /// <summary>Gateways deny requests (HTTP 429) while the budget is exceeded.</summary>
    HardStop = 0,
    /// <summary>Never denies; transitions are still reported.</summary>
    WarnOnly = 1,
}
