using System.Collections.Immutable;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// What a usage view reads from the rollups: the rows of some environments between consecutive
/// <see cref="Boundaries"/> (UTC instants on whole minutes, increasing: bucket <c>i</c> is
/// <c>[Boundaries[i], Boundaries[i+1])</c>), restricted by <see cref="Filters"/> (a row matches when,
/// for every filtered dimension, its value is one of the listed ones; <c>""</c> matches an absent
/// value). A store answers with rows that each lie inside one bucket: an hour row only where the
/// whole UTC hour is inside a bucket, minute rows elsewhere.
/// </summary>
public sealed record RollupQuery
{
    public required ImmutableArray<string> EnvironmentIds { get; init; }
    public required ImmutableArray<DateTimeOffset> Boundaries { get; init; }
    public ImmutableDictionary<UsageDimension, ImmutableArray<string>> Filters { get; init; } =
        ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty;
    /// <summary>Only rows whose API key was bound to the sending environment (API key, team and member budgets).</summary>
    public bool KeyBoundOnly { get; init; }
}
