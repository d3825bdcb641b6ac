namespace BudgetCluster.Grains.Usage;

/// <summary>
/// The key of a projection row: the sums of an environment's ledger rows in one tier row, per the
/// value of one <see cref="Dimension"/> (null: all of them together), apart for API keys bound at
/// ingest (<see cref="KeyBound"/>, what key, team and member budgets count).
/// </summary>
public readonly record struct ProjectionKey(string EnvironmentId, UsageDimension? Dimension, string Value, bool KeyBound)
{
    /// <summary>The dimensions a projection keeps one of: every one but the environment, which every row keeps.</summary>
    public static IReadOnlyList<UsageDimension> Dimensions { get; } =
        [.. Enum.GetValues<UsageDimension>().Where(dimension => dimension != UsageDimension.Environment)];

    /// <summary>The stored name of <see cref="Dimension"/>: its field name, or <c>""</c> for the environment total.</summary>
    public string DimensionName => Dimension is { } dimension ? UsageDimensionNames.FieldName(dimension) : "";

    /// <summary>The dimension a stored name stands for (<see cref="DimensionName"/>).</summary>
    public static UsageDimension? ParseDimension(string name) =>
        name.Length == 0 ? null : Dimensions.Single(dimension => UsageDimensionNames.FieldName(dimension) == name);

    public static ProjectionKey Of(RollupKey key, UsageDimension? dimension) =>
        new(key.EnvironmentId, dimension, dimension is { } d ? key.Get(d) : "", key.KeyBound);

    /// <summary>As a rollup key: this row's environment, value and binding, every other dimension <c>""</c>.</summary>
    public RollupKey ToRollupKey()
    {
        var (kept, value) = (Dimension, Value);
        string Of(UsageDimension dimension) => dimension == kept ? value : "";
        return new RollupKey(
            EnvironmentId, Of(UsageDimension.Gateway), Of(UsageDimension.ApiKey), Of(UsageDimension.Model),
            Of(UsageDimension.ProviderKey), Of(UsageDimension.Team), Of(UsageDimension.Member),
            Of(UsageDimension.StatusClass), Of(UsageDimension.AttemptKind), KeyBound);
    }
}

/// <summary>
/// Which rows can answer a query. A query that groups and filters by at most one dimension besides
/// the environment is answered from the projection rows of that dimension (a month by day is then
/// one row per day and value, whatever the other dimensions hold); any other needs the full rows,
/// which keep every dimension (<see cref="RollupKey"/>).
/// </summary>
public readonly record struct RollupShape(bool Full, UsageDimension? Dimension)
{
    /// <summary>
    /// The shape whose rows a store reads for <paramref name="tier"/>: projection rows of one
    /// dimension exist per hour and day only, so its minutes come from the full rows; full rows have
    /// no day tier, so their days are read as hours (<see cref="StoredTier"/>).
    /// </summary>
    public RollupShape At(RollupTier tier) =>
        !Full && Dimension is not null && tier == RollupTier.Minute ? new RollupShape(true, null) : this;

    /// <summary>The tier of this shape's stored rows that holds <paramref name="tier"/>'s ranges.</summary>
    public RollupTier StoredTier(RollupTier tier) => Full && tier == RollupTier.Day ? RollupTier.Hour : tier;

    public static RollupShape For(RollupQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var dimensions = query.GroupBy.IsDefault ? [] : query.GroupBy.ToHashSet();
        dimensions.UnionWith(query.Filters.Keys);
        dimensions.Remove(UsageDimension.Environment);
        return dimensions.Count switch
        {
            0 => new RollupShape(false, null),
            1 => new RollupShape(false, dimensions.Single()),
            _ => new RollupShape(true, null),
        };
    }

    /// <summary>
    /// Whether a row of <paramref name="key"/> is one the query counts: its environment is asked for,
    /// and its value of every filtered dimension is listed (<c>""</c> matches an absent value).
    /// </summary>
    public static bool Matches(RollupQuery query, RollupKey key)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.EnvironmentIds.IsDefault || !query.EnvironmentIds.Contains(key.EnvironmentId) || (query.KeyBoundOnly && !key.KeyBound))
        {
            return false;
        }

        foreach (var (dimension, values) in query.Filters)
        {
            if (values.IsDefault || !values.Contains(key.Get(dimension)))
            {
                return false;
            }
        }

        return true;
    }
}
