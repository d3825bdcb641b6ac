using System.Collections.Immutable;

namespace BudgetCluster.Grains.Budgets;

/// <summary>The outcome of evaluating a budget: its new standing and the transitions to announce, in order.</summary>
/// <param name="Standing">What subscribers know once the transitions are announced.</param>
/// <param name="Transitions">The transitions, in the order they happen.</param>
public sealed record BudgetEvaluation(BudgetStanding Standing, ImmutableArray<Announcement> Transitions);
