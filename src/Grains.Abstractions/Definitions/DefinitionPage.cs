using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>One page of a list sorted by id: the entries after a given id, and whether more follow.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.definition-page")]
public sealed record DefinitionPage<T>(
    [property: Id(0)] ImmutableArray<DefinitionEntry<T>> Entries,
    [property: Id(1)] bool HasMore);
