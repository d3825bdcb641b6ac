namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>An organization: the owner of environments and budgets.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.org-definition")]
public sealed record OrgDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] FailMode FailMode);
