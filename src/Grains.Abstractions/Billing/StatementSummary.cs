namespace BudgetCluster.Grains.Abstractions.Billing;

/// <summary>One statement of an org's list (<c>GET /orgs/{org_id}/statements</c>): its month, status, window and total.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.statement-summary")]
public sealed record StatementSummary(
    [property: Id(0)] string Period,
    [property: Id(1)] bool Closed,
    [property: Id(2)] DateTimeOffset StartingAt,
    [property: Id(3)] DateTimeOffset EndingAt,
    [property: Id(4)] DateTimeOffset? ClosedAt,
    [property: Id(5)] decimal TotalUsd,
    [property: Id(6)] string? ContentSha256);
