using System.Collections.Immutable;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// One page of a usage view, built from rollup rows: the rows summed per (bucket, group key),
/// results sorted by group key within a bucket, and paged by keyset over (bucket, group key).
/// <list type="bullet">
/// <item>A page holds at most <c>limit</c> results; it ends inside or before the first bucket whose
/// results would pass that, and the next page starts exactly there. A bucket split over pages is on
/// each of them with its part.</item>
/// <item>Every bucket is listed once (a split one once per part), an empty bucket on the page whose
/// run passes it: empty buckets after a page's last result are on that page up to the next bucket
/// with results. So a page never lacks results unless the whole range has none.</item>
/// </list>
/// </summary>
public static class UsageReport
{
    /// <param name="boundaries">The query's bucket boundaries (every bucket, also those before the position).</param>
    /// <param name="rows">Rollup rows of the buckets from <paramref name="position"/>'s on, each inside one bucket.</param>
    /// <param name="groupBy">The dimensions of a group key, in order.</param>
    /// <param name="position">Where the page starts.</param>
    /// <param name="limit">At most this many results on the page.</param>
    public static UsagePage Build(
        IReadOnlyList<DateTimeOffset> boundaries, IReadOnlyList<RollupRow> rows, ImmutableArray<UsageDimension> groupBy,
        UsagePosition position, int limit)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var sums = Sum(boundaries, rows, groupBy, position.Bucket);
        var buckets = new List<UsageBucket>();
        var count = 0;
        for (var bucket = position.Bucket; bucket + 1 < boundaries.Count; bucket++)
        {
            var results = sums.TryGetValue(bucket, out var groups)
                ? groups.Where(group => bucket != position.Bucket || position.After is null || group.Key.CompareTo(position.After) > 0)
                    .OrderBy(group => group.Key, GroupKey.Order)
                    .Select(group => new UsageResult(group.Key, group.Value))
                    .ToList()
                : [];
            if (results.Count > 0 && count == limit)
            {
                return new UsagePage(buckets, new UsagePosition(bucket, bucket == position.Bucket ? position.After : null));
            }

            var taken = Math.Min(results.Count, limit - count);
            buckets.Add(new UsageBucket(boundaries[bucket], boundaries[bucket + 1], results[..taken]));
            count += taken;
            if (taken < results.Count)
            {
                return new UsagePage(buckets, new UsagePosition(bucket, results[taken - 1].Key));
            }
        }

        return new UsagePage(buckets, null);
    }

    /// <summary>The rows summed per bucket index and group key; rows outside the buckets from <paramref name="first"/> on are left out.</summary>
    private static Dictionary<int, Dictionary<GroupKey, UsageTotals>> Sum(
        IReadOnlyList<DateTimeOffset> boundaries, IReadOnlyList<RollupRow> rows, ImmutableArray<UsageDimension> groupBy, int first)
    {
        var sums = new Dictionary<int, Dictionary<GroupKey, UsageTotals>>();
        var starts = boundaries as List<DateTimeOffset> ?? [.. boundaries];
        foreach (var row in rows)
        {
            var found = starts.BinarySearch(row.Start);
            var bucket = found >= 0 ? found : ~found - 1;
            if (bucket < first || bucket + 1 >= boundaries.Count)
            {
                continue;
            }

            if (!sums.TryGetValue(bucket, out var groups))
            {
                sums[bucket] = groups = [];
            }

            var values = ImmutableArray.CreateBuilder<string>(groupBy.Length);
            foreach (var dimension in groupBy)
            {
                values.Add(row.Key.Get(dimension));
            }

            var key = new GroupKey(values.MoveToImmutable());
            if (!groups.TryGetValue(key, out var totals))
            {
                groups[key] = totals = new UsageTotals();
            }

            totals.Add(row.Totals);
        }

        return sums;
    }
}
