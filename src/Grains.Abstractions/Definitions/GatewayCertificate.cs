namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// A gateway certificate the cluster issued: its serial (lowercase hex), the gateway it names, its
/// validity, and when it was revoked (null while it is not). The private key is never kept.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.gateway-certificate")]
public sealed record GatewayCertificate(
    [property: Id(0)] string Serial,
    [property: Id(1)] string DpId,
    [property: Id(2)] DateTimeOffset NotBefore,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] DateTimeOffset? RevokedAt);
