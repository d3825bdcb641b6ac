namespace BudgetCluster.Grains.Usage;

/// <summary>
/// Which stored rows answer a <see cref="RollupQuery"/>: hour rows for every whole UTC hour that
/// lies inside one bucket, minute rows for the rest, so that every row read lies inside exactly one
/// bucket and nothing is read twice. Adjacent ranges of the same tier are merged.
/// </summary>
public static class RollupPlan
{
    public readonly record struct Range(DateTimeOffset From, DateTimeOffset To);

    public sealed record Plan(IReadOnlyList<Range> Minutes, IReadOnlyList<Range> Hours);

    public static Plan For(IReadOnlyList<DateTimeOffset> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        var minutes = new List<Range>();
        var hours = new List<Range>();
        for (var i = 0; i + 1 < boundaries.Count; i++)
        {
            var (from, to) = (boundaries[i], boundaries[i + 1]);
            if (from.UtcTicks % TimeSpan.TicksPerMinute != 0 || to.UtcTicks % TimeSpan.TicksPerMinute != 0 || to <= from)
            {
                throw new ArgumentException("Bucket boundaries must be increasing whole UTC minutes.", nameof(boundaries));
            }

            var firstHour = Rollups.StartOf(from, RollupTier.Hour);
            if (firstHour < from)
            {
                firstHour = firstHour.AddHours(1);
            }

            var lastHour = Rollups.StartOf(to, RollupTier.Hour);
            if (firstHour >= lastHour)
            {
                Append(minutes, from, to);
                continue;
            }

            Append(minutes, from, firstHour);
            Append(hours, firstHour, lastHour);
            Append(minutes, lastHour, to);
        }

        return new Plan(minutes, hours);
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
