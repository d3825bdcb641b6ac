using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// An organization's budget index as its org grain has stored it: what every gateway of the org
/// routes events by. <see cref="Version"/> increases with every budget definition or deletion.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-index")]
public sealed record BudgetIndex(
    [property: Id(0)] long Version,
    [property: Id(1)] ImmutableDictionary<string, BudgetIndexEntry> Entries)
{
    public static BudgetIndex Empty { get; } = new(0, ImmutableDictionary<string, BudgetIndexEntry>.Empty.WithComparers(StringComparer.Ordinal));
}
