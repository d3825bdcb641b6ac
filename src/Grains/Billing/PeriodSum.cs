namespace BudgetCluster.Grains.Billing;

/// <summary>The attempts and spend of one environment and model in one period: what adjustments are differences of.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.period-sum")]
public sealed record PeriodSum(
    [property: Id(0)] string Period,
    [property: Id(1)] string EnvironmentId,
    [property: Id(2)] string ModelId,
    [property: Id(3)] long Attempts,
    [property: Id(4)] decimal SpendUsd);
