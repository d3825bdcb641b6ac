using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// What subscribers have been told about a budget in its current period: the state and blocking
/// flag of the last transition, and the thresholds already announced (each fires once per period).
/// </summary>
public sealed record BudgetStanding(BudgetState NotifiedState, bool NotifiedBlocking, ImmutableArray<decimal> FiredThresholds)
{
    public static BudgetStanding Fresh { get; } = new(BudgetState.Ok, false, []);
}
