namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>A scope type and the id of the entity it names.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-scope")]
public sealed record BudgetScope(
    [property: Id(0)] ScopeType Type,
    [property: Id(1)] string Ref);
