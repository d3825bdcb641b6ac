namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A definition and its id.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.definition-entry")]
public sealed record DefinitionEntry<T>(
    [property: Id(0)] string Id,
    [property: Id(1)] T Definition);
