namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// A model's definition as set by the admin API, and from when its <see cref="ModelDefinition.Pricing"/>
/// is in force (null: since the beginning of time for a new model, from now for an existing one).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-put")]
public sealed record ModelPut(
    [property: Id(0)] ModelDefinition Definition,
    [property: Id(1)] DateTimeOffset? EffectiveFrom = null);
