namespace BudgetCluster.Grains.Billing;

/// <summary>A closed statement in its org's index; the body is in <see cref="StatementBodyGrain"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.closed-statement")]
public sealed record ClosedStatement(
    [property: Id(0)] string Period,
    [property: Id(1)] DateTimeOffset StartingAt,
    [property: Id(2)] DateTimeOffset EndingAt,
    [property: Id(3)] DateTimeOffset ClosedAt,
    [property: Id(4)] decimal TotalUsd,
    [property: Id(5)] string ContentSha256);
