using BudgetCluster.Grains.Usage;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Usage;

public sealed class RollupPlanTests
{
    private static readonly DateTimeOffset Hour = Rollups.StartOf(TestClock.Now, RollupTier.Hour).AddDays(-3);

    private static readonly DateTimeOffset Midnight = Rollups.StartOf(TestClock.Now, RollupTier.Day).AddDays(-40);

    [Fact]
    public void For_DaysOnWholeHoursOffUtcMidnight_ReadsOnlyHours()
    {
        var hour = Midnight.AddHours(5);

        var plan = RollupPlan.For([hour, hour.AddDays(1), hour.AddDays(2)]);

        Assert.Empty(plan.Minutes);
        Assert.Empty(plan.Days);
        Assert.Equal([new RollupPlan.Range(hour, hour.AddDays(2))], plan.Hours);
    }

    [Fact]
    public void For_UtcDays_ReadsDaysAndOnlyTheEdgesFiner()
    {
        var plan = RollupPlan.For([Midnight.AddMinutes(-90), Midnight.AddDays(1), Midnight.AddDays(3).AddMinutes(30)]);

        Assert.Equal([new RollupPlan.Range(Midnight, Midnight.AddDays(3))], plan.Days);
        Assert.Equal([new RollupPlan.Range(Midnight.AddMinutes(-60), Midnight)], plan.Hours);
        Assert.Equal(
            [new RollupPlan.Range(Midnight.AddMinutes(-90), Midnight.AddMinutes(-60)), new RollupPlan.Range(Midnight.AddDays(3), Midnight.AddDays(3).AddMinutes(30))],
            plan.Minutes);
    }

    [Fact]
    public void For_MinuteBuckets_ReadsOnlyMinutes()
    {
        var plan = RollupPlan.For([.. Enumerable.Range(0, 61).Select(m => Hour.AddMinutes(m))]);

        Assert.Equal([new RollupPlan.Range(Hour, Hour.AddHours(1))], plan.Minutes);
        Assert.Empty(plan.Hours);
    }

    [Fact]
    public void For_DaysOfAQuarterHourZone_ReadsMinutesAtTheEdgesAndHoursBetween()
    {
        // Asia/Kathmandu (+05:45): local midnight is 18:15 UTC.
        var midnight = Hour.AddMinutes(15);

        var plan = RollupPlan.For([midnight, midnight.AddDays(1), midnight.AddDays(2)]);

        Assert.Equal(
            [
                new RollupPlan.Range(midnight, Hour.AddHours(1)),
                new RollupPlan.Range(Hour.AddDays(1), midnight.AddDays(1).AddMinutes(45)),
                new RollupPlan.Range(Hour.AddDays(2), midnight.AddDays(2)),
            ],
            plan.Minutes);
        Assert.Equal(
            [new RollupPlan.Range(Hour.AddHours(1), Hour.AddDays(1)), new RollupPlan.Range(Hour.AddDays(1).AddHours(1), Hour.AddDays(2))],
            plan.Hours);
    }

    [Fact]
    public void For_RandomBoundaries_CoversTheRangeOnceWithHoursInsideOneBucket()
    {
        var random = new Random(5);
        for (var run = 0; run < 200; run++)
        {
            var boundaries = new List<DateTimeOffset> { Hour.AddMinutes(random.Next(180)) };
            for (var i = random.Next(1, 8); i > 0; i--)
            {
                boundaries.Add(boundaries[^1].AddMinutes(random.Next(1, run % 2 == 0 ? 400 : 5000)));
            }

            var plan = RollupPlan.For(boundaries);

            var ranges = Enum.GetValues<RollupTier>().SelectMany(tier => plan.Of(tier).Select(r => (r, tier))).OrderBy(x => x.r.From).ToList();
            Assert.Equal(boundaries[0], ranges[0].r.From);
            Assert.Equal(boundaries[^1], ranges[^1].r.To);
            for (var i = 0; i + 1 < ranges.Count; i++)
            {
                Assert.Equal(ranges[i].r.To, ranges[i + 1].r.From);
                // Same-tier neighbours are merged.
                Assert.NotEqual(ranges[i].Item2, ranges[i + 1].Item2);
            }

            foreach (var tier in new[] { RollupTier.Hour, RollupTier.Day })
            {
                var width = Rollups.Width(tier);
                foreach (var row in plan.Of(tier).SelectMany(r => Enumerable.Range(0, (int)((r.To - r.From) / width)).Select(n => r.From + (n * width))))
                {
                    Assert.Equal(row, Rollups.StartOf(row, tier));
                    Assert.Contains(boundaries.Zip(boundaries.Skip(1)), b => row >= b.First && row + width <= b.Second);
                }
            }

            // Where a whole UTC day fits in a bucket, it is read as a day row.
            foreach (var (first, second) in boundaries.Zip(boundaries.Skip(1)))
            {
                var day = Rollups.StartOf(first, RollupTier.Day);
                day = day < first ? day.AddDays(1) : day;
                if (day.AddDays(1) <= second)
                {
                    Assert.Contains(plan.Days, r => r.From <= day && day.AddDays(1) <= r.To);
                }
            }
        }
    }

    [Fact]
    public void For_OneBoundary_ReadsNothing()
    {
        var plan = RollupPlan.For([Hour]);

        Assert.Empty(plan.Minutes);
        Assert.Empty(plan.Hours);
        Assert.Empty(plan.Days);
    }

    [Fact]
    public void For_BoundariesOffTheMinuteOrNotIncreasing_Throw()
    {
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour.AddSeconds(30)]));
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour]));
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour.AddMinutes(-1)]));
    }
}
