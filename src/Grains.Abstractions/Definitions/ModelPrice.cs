namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// One version of a model's price (API.md §9): in force from <see cref="EffectiveFrom"/> until the
/// next version's <see cref="EffectiveFrom"/> in the model's timeline. <see cref="DateTimeOffset.MinValue"/>
/// is "since the beginning of time" (a model created without <c>effective_from</c>).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-price")]
public sealed record ModelPrice(
    [property: Id(0)] int Version,
    [property: Id(1)] DateTimeOffset EffectiveFrom,
    [property: Id(2)] ModelPricing Pricing);
