using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>What a gateway needs to attribute an event to a budget: its scope and period calendar.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-index-entry")]
public sealed record BudgetIndexEntry(
    [property: Id(0)] string BudgetId,
    [property: Id(1)] BudgetScope Scope,
    [property: Id(2)] BudgetPeriod Period,
    [property: Id(3)] string TimeZone,
    [property: Id(4)] BudgetMode Mode);
