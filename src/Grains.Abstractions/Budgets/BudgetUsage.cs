using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>
/// The spend one gateway's ledger rows with sequence numbers from <see cref="FromSequence"/> to
/// <see cref="ToSequence"/> add to a budget. A budget applies it at most once: it remembers, per
/// gateway, the highest sequence it has counted.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-usage")]
public sealed record BudgetUsage
{
    /// <summary>The gateway grain key, <c>env/dp</c>.</summary>
    [Id(0)] public required string Gateway { get; init; }
    [Id(1)] public required long FromSequence { get; init; }
    [Id(2)] public required long ToSequence { get; init; }
    [Id(3)] public required ImmutableArray<PeriodAmount> Amounts { get; init; }
}
