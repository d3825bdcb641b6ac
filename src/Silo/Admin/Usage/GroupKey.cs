using System.Collections.Immutable;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// The values of a result's <c>group_by</c> dimensions, in <c>group_by</c> order (<c>""</c> for an
/// absent value). Results are ordered by it within a bucket: value by value, ordinally, absent first.
/// </summary>
public sealed class GroupKey(ImmutableArray<string> values) : IEquatable<GroupKey>
{
    public ImmutableArray<string> Values { get; } = values;

    /// <summary>The order of results within a bucket.</summary>
    public static IComparer<GroupKey> Order { get; } = Comparer<GroupKey>.Create((left, right) => left.CompareTo(right));

    public int CompareTo(GroupKey other)
    {
        ArgumentNullException.ThrowIfNull(other);

        for (var i = 0; i < Math.Min(Values.Length, other.Values.Length); i++)
        {
            var order = string.CompareOrdinal(Values[i], other.Values[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return Values.Length.CompareTo(other.Values.Length);
    }

    public bool Equals(GroupKey? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => Equals(obj as GroupKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var value in Values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
