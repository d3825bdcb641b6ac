using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>Cuts <see cref="DefinitionPage{T}"/>s out of lists sorted by id.</summary>
public static class DefinitionPaging
{
    /// <summary>
    /// The page of <paramref name="entries"/> (any order) whose ids sort (ordinally) after
    /// <paramref name="after"/>, at most <paramref name="limit"/> of them, in id order.
    /// </summary>
    public static DefinitionPage<T> Of<T>(IEnumerable<DefinitionEntry<T>> entries, string? after, int limit)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var following = entries
            .Where(entry => after is null || string.CompareOrdinal(entry.Id, after) > 0)
            .OrderBy(entry => entry.Id, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToImmutableArray();
        return following.Length > limit ? new(following[..limit], true) : new(following, false);
    }

    /// <summary>The same for a list of bare ids (each entry's definition is its id).</summary>
    public static DefinitionPage<string> OfIds(IEnumerable<string> ids, string? after, int limit) =>
        Of(ids.Select(id => new DefinitionEntry<string>(id, id)), after, limit);
}
