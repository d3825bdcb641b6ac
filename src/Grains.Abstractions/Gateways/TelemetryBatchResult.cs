using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>Outcome of a batch: every event is newly accepted (durable), a duplicate, or rejected on its own.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.telemetry-batch-result")]
public sealed record TelemetryBatchResult(
    [property: Id(0)] int Accepted,
    [property: Id(1)] int Duplicates)
{
    /// <summary>Budgets this batch made change state (persisted and published), as they now stand.</summary>
    [Id(2)] public ImmutableArray<BudgetStatus> Transitioned { get; init; } = [];
    /// <summary>Events the grain could not price, attribute or store; none of them is in the ledger.</summary>
    [Id(3)] public ImmutableArray<EventRejection> Rejected { get; init; } = [];
}
