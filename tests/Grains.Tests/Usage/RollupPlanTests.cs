using BudgetCluster.Grains.Usage;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Usage;

public sealed class RollupPlanTests
{
    private static readonly DateTimeOffset Hour = Rollups.StartOf(TestClock.Now, RollupTier.Hour).AddDays(-3);

    [Fact]
    public void For_DaysOnWholeHours_ReadsOnlyHours()
    {
        var plan = RollupPlan.For([Hour, Hour.AddDays(1), Hour.AddDays(2)]);

        Assert.Empty(plan.Minutes);
        Assert.Equal([new RollupPlan.Range(Hour, Hour.AddDays(2))], plan.Hours);
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
                boundaries.Add(boundaries[^1].AddMinutes(random.Next(1, 400)));
            }

            var plan = RollupPlan.For(boundaries);

            var ranges = plan.Minutes.Select(r => (r, RollupTier.Minute)).Concat(plan.Hours.Select(r => (r, RollupTier.Hour))).OrderBy(x => x.r.From).ToList();
            Assert.Equal(boundaries[0], ranges[0].r.From);
            Assert.Equal(boundaries[^1], ranges[^1].r.To);
            for (var i = 0; i + 1 < ranges.Count; i++)
            {
                Assert.Equal(ranges[i].r.To, ranges[i + 1].r.From);
                // Same-tier neighbours are merged.
                Assert.NotEqual(ranges[i].Item2, ranges[i + 1].Item2);
            }

            foreach (var hour in plan.Hours.SelectMany(r => Enumerable.Range(0, (int)(r.To - r.From).TotalHours).Select(h => r.From.AddHours(h))))
            {
                Assert.Equal(hour, Rollups.StartOf(hour, RollupTier.Hour));
                Assert.Contains(boundaries.Zip(boundaries.Skip(1)), b => hour >= b.First && hour.AddHours(1) <= b.Second);
            }
        }
    }

    [Fact]
    public void For_OneBoundary_ReadsNothing()
    {
        var plan = RollupPlan.For([Hour]);

        Assert.Empty(plan.Minutes);
        Assert.Empty(plan.Hours);
    }

    [Fact]
    public void For_BoundariesOffTheMinuteOrNotIncreasing_Throw()
    {
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour.AddSeconds(30)]));
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour]));
        Assert.Throws<ArgumentException>(() => RollupPlan.For([Hour, Hour.AddMinutes(-1)]));
    }
}
