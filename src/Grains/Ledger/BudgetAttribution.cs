namespace BudgetCluster.Grains.Ledger;

/// <summary>That a ledger row counts toward a budget, in the budget period starting at <see cref="PeriodStart"/>.</summary>
public readonly record struct BudgetAttribution(string BudgetId, DateTimeOffset PeriodStart);
