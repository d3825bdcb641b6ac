namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// The ids of every organization, for <c>GET /orgs</c>. One grain, key <see cref="Key"/>: orgs
/// are few (one per customer) and each id is a few bytes. An org adds itself when it is created
/// and removes itself when it is deleted.
/// </summary>
[Alias("budgetcluster.org-directory")]
public interface IOrgDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "orgs";

    /// <summary>Lists an org; idempotent, durable when it returns.</summary>
    [Alias("add")]
    Task AddAsync(string orgId);

    /// <summary>Unlists an org; idempotent, durable when it returns.</summary>
    [Alias("remove")]
    Task RemoveAsync(string orgId);

    /// <summary>The org ids after <paramref name="after"/> (null: from the start), at most <paramref name="limit"/>, sorted.</summary>
    [Alias("list")]
    Task<DefinitionPage<string>> ListAsync(string? after, int limit);
}
