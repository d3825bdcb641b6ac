using System.Collections.Immutable;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// What a usage view reads from the rollups: the rows of some environments between consecutive
/// <see cref="Boundaries"/> (UTC instants on whole minutes, increasing: bucket <c>i</c> is
/// <c>[Boundaries[i], Boundaries[i+1])</c>), restricted by <see cref="Filters"/> (a row matches when,
/// for every filtered dimension, its value is one of the listed ones; <c>""</c> matches an absent
/// value). A store answers with rows that each lie inside one bucket (see <see cref="RollupPlan"/>)
/// and that hold the value of every dimension in <see cref="GroupBy"/> or <see cref="Filters"/>;
/// other dimensions of a row may be <c>""</c> (a projection row, see <see cref="RollupShape"/>).
/// </summary>
public sealed record RollupQuery
{
    public required ImmutableArray<string> EnvironmentIds { get; init; }
    public required ImmutableArray<DateTimeOffset> Boundaries { get; init; }
    public ImmutableDictionary<UsageDimension, ImmutableArray<string>> Filters { get; init; } =
        ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty;
    /// <summary>The dimensions the caller groups the rows by: the store keeps their values in every row it answers.</summary>
    public ImmutableArray<UsageDimension> GroupBy { get; init; } = [];
    /// <summary>Only rows whose API key was bound to the sending environment (API key, team and member budgets).</summary>
    public bool KeyBoundOnly { get; init; }
}
