using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A budget as registered with its organization.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.org-budget")]
public sealed record OrgBudget(
    [property: Id(0)] string BudgetId,
    [property: Id(1)] BudgetPolicy Policy);
