namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A model that gateways of an environment route to, with its pricing.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-definition")]
public sealed record ModelDefinition(
    [property: Id(0)] string EnvironmentId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ProviderKeyId,
    [property: Id(3)] ModelPricing Pricing);
