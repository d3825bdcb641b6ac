namespace BudgetCluster.Grains.Usage;

/// <summary>
/// Which stored rows answer a <see cref="RollupQuery"/>: day rows for every whole UTC day that
/// lies inside one bucket, hour rows for every whole UTC hour left inside one, minute rows for the
/// rest, so that every row read lies inside exactly one bucket and nothing is read twice. Adjacent
/// ranges of the same tier are merged. A store without day rows for a query's shape reads the
/// <see cref="Plan.Days"/> ranges from its hour rows.
/// </summary>
public static class RollupPlan
{
    public readonly record struct Range(DateTimeOffset From, DateTimeOffset To);

    public sealed record Plan(IReadOnlyList<Range> Minutes, IReadOnlyList<Range> Hours, IReadOnlyList<Range> Days)
    {
        /// <summary>The ranges of <paramref name="tier"/>.</summary>
        public IReadOnlyList<Range> Of(RollupTier tier) => tier switch
        {
            RollupTier.Minute => Minutes,
            RollupTier.Hour => Hours,
            RollupTier.Day => Days,
            _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
        };
    }

    public static Plan For(IReadOnlyList<DateTimeOffset> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        var plan = new Plan(new List<Range>(), new List<Range>(), new List<Range>());
        for (var i = 0; i + 1 < boundaries.Count; i++)
        {
            var (from, to) = (boundaries[i], boundaries[i + 1]);
            if (from.UtcTicks % TimeSpan.TicksPerMinute != 0 || to.UtcTicks % TimeSpan.TicksPerMinute != 0 || to <= from)
            {
                throw new ArgumentException("Bucket boundaries must be increasing whole UTC minutes.", nameof(boundaries));
            }

            Split(plan, from, to, RollupTier.Day);
        }

        return plan;
    }

    /// <summary>Whole <paramref name="tier"/> rows inside [from, to) to that tier, the edges to the next finer one.</summary>
    private static void Split(Plan plan, DateTimeOffset from, DateTimeOffset to, RollupTier tier)
    {
        var ranges = (List<Range>)plan.Of(tier);
        if (tier == RollupTier.Minute)
        {
            Append(ranges, from, to);
            return;
        }

        var finer = tier - 1;
        var first = Rollups.StartOf(from, tier);
        if (first < from)
        {
            first += Rollups.Width(tier);
        }

        var last = Rollups.StartOf(to, tier);
        if (first >= last)
        {
            Split(plan, from, to, finer);
            return;
        }

        Split(plan, from, first, finer);
        Append(ranges, first, last);
        Split(plan, last, to, finer);
    }

    private static void Append(List<Range> ranges, DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return;
        }

        if (ranges.Count > 0 && ranges[^1].To == from)
        {
            ranges[^1] = ranges[^1] with { To = to };
        }
        else
        {
            ranges.Add(new Range(from, to));
        }
    }
}
