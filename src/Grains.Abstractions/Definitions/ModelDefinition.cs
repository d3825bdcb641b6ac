namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// A model that gateways of an environment route to, with its pricing. <see cref="PriceVersion"/>
/// numbers the model's pricings (1 for the first, one more for each change of price); every ledger
/// row records the version it was priced with.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-definition")]
public sealed record ModelDefinition(
    [property: Id(0)] string EnvironmentId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ProviderKeyId,
    [property: Id(3)] ModelPricing Pricing,
    [property: Id(4)] int PriceVersion = 1);
