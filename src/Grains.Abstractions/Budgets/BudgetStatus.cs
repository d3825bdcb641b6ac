namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>A budget's standing in its current period, as of <see cref="Version"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-status")]
public sealed record BudgetStatus
{
    [Id(0)] public required string BudgetId { get; init; }
    [Id(1)] public required BudgetPolicy Policy { get; init; }
    [Id(2)] public required BudgetState State { get; init; }
    /// <summary>Exceeded and hard-stop: gateways deny requests it applies to.</summary>
    [Id(3)] public required bool Blocking { get; init; }
    [Id(4)] public required decimal SpentUsd { get; init; }
    [Id(5)] public required DateTimeOffset PeriodStart { get; init; }
    /// <summary>The end of the current period, when spend resets.</summary>
    [Id(6)] public required DateTimeOffset PeriodResetsAt { get; init; }
    /// <summary>Increases by one with every transition; 0 before the first.</summary>
    [Id(7)] public required long Version { get; init; }
    /// <summary>Spend per hour over the forecast window (API.md §4 v2); null before the period has begun.</summary>
    [Id(8)] public decimal? BurnRateUsdPerHour { get; init; }
    /// <summary>When the spend would reach the limit at that rate; null when not within this period.</summary>
    [Id(9)] public DateTimeOffset? ProjectedExhaustionAt { get; init; }

    public decimal RemainingUsd => Math.Max(0m, Policy.LimitUsd - SpentUsd);
}
