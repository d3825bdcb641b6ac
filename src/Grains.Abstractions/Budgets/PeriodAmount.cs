namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>Spend that belongs to the budget period starting at <see cref="PeriodStart"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.period-amount")]
public sealed record PeriodAmount(
    [property: Id(0)] DateTimeOffset PeriodStart,
    [property: Id(1)] decimal AmountUsd);
