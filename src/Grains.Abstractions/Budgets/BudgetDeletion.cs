namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>
/// The outcome of deleting a budget: whether this call deleted it, and the org it belonged to
/// (also when it was deleted before), so a retried deletion can finish unregistering it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-deletion")]
public sealed record BudgetDeletion(
    [property: Id(0)] bool Deleted,
    [property: Id(1)] string? OrgId);
