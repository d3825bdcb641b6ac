namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>An environment of an organization; gateways and API keys belong to one.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.environment-definition")]
public sealed record EnvironmentDefinition(
    [property: Id(0)] string OrgId,
    [property: Id(1)] string Name);
