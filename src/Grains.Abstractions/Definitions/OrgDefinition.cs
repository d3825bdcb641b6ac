namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// An organization: the owner of environments and budgets. <see cref="BillingTimeZone"/> is the
/// IANA zone of its statements' calendar months (API.md §8); null is UTC (and is what an org
/// stored before statements existed reads as).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.org-definition")]
public sealed record OrgDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] FailMode FailMode,
    [property: Id(2)] string? BillingTimeZone = null);
