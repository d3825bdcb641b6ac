namespace BudgetCluster.Grains.Usage;

/// <summary>
/// The dimensions a rollup row sums over, besides its environment and minute (API.md §6's
/// <c>group_by</c>). An absent value (an event without a model, a key without a team) is <c>""</c>,
/// shown as null. <see cref="KeyBound"/> says the event's API key was bound to the sending
/// environment at ingest: only such events count toward API key, team and member budgets (§3),
/// so a budget's spend can be summed from rollups by the same rule.
/// </summary>
public readonly record struct RollupKey(
    string EnvironmentId,
    string DpId,
    string ApiKeyId,
    string ModelId,
    string ProviderKeyId,
    string TeamId,
    string MemberId,
    string StatusClass,
    string AttemptKind,
    bool KeyBound)
{
    public string Get(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Environment => EnvironmentId,
        UsageDimension.Gateway => DpId,
        UsageDimension.ApiKey => ApiKeyId,
        UsageDimension.Model => ModelId,
        UsageDimension.ProviderKey => ProviderKeyId,
        UsageDimension.Team => TeamId,
        UsageDimension.Member => MemberId,
        UsageDimension.StatusClass => StatusClass,
        UsageDimension.AttemptKind => AttemptKind,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };
}

/// <summary>A dimension of usage: what <c>group_by</c> and the filters of API.md §6 name.</summary>
public enum UsageDimension
{
    Environment,
    Gateway,
    ApiKey,
    Model,
    ProviderKey,
    Team,
    Member,
    StatusClass,
    AttemptKind,
}

/// <summary>The names of the usage dimensions where they are stored and shown.</summary>
public static class UsageDimensionNames
{
    /// <summary>
    /// The dimension's field name (<c>environment_id</c>, <c>dp_id</c>, ...): a result's field and
    /// its filter in API.md §6, and on purpose also the column of the rollup tables of both stores.
    /// </summary>
    public static string FieldName(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Environment => "environment_id",
        UsageDimension.Gateway => "dp_id",
        UsageDimension.ApiKey => "api_key_id",
        UsageDimension.Model => "model_id",
        UsageDimension.ProviderKey => "provider_key_id",
        UsageDimension.Team => "team_id",
        UsageDimension.Member => "member_id",
        UsageDimension.StatusClass => "status_class",
        UsageDimension.AttemptKind => "attempt_kind",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };
}

/// <summary>The time granularity of stored rollup rows (UTC); each coarser tier is the sum of the finer one's rows.</summary>
public enum RollupTier
{
    Minute,
    Hour,
    Day,
}
