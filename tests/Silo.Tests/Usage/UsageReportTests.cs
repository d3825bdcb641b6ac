using System.Collections.Immutable;
using BudgetCluster.Grains.Usage;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Usage;

/// <summary>How rollup rows become a usage view's pages: sums per (bucket, group), ordered, never cut, paged by keyset.</summary>
public sealed class UsageReportTests
{
    private static readonly DateTimeOffset Start = BucketCalendar.Containing(TestClock.Now, BucketWidth.Hour, TimeZoneInfo.Utc).Start.AddHours(-10);
    private static readonly IReadOnlyList<DateTimeOffset> Hours = [.. Enumerable.Range(0, 11).Select(i => Start.AddHours(i))];
    private static readonly ImmutableArray<UsageDimension> ByModelAndKey = [UsageDimension.Model, UsageDimension.ApiKey];

    [Fact]
    public void Build_NoGrouping_OneResultPerBucketWithEveryBucketListed()
    {
        var rows = new[] { Row(0, "m", "k", 1.5m), Row(0, "m", "k2", 2m, minute: 59), Row(3, "", "", 0.25m) };

        var page = UsageReport.Build(Hours, rows, [], UsagePosition.Start, 1000);

        Assert.Null(page.Next);
        Assert.Equal(Hours.SkipLast(1), page.Buckets.Select(bucket => bucket.Start));
        Assert.Equal(3.5m, Assert.Single(page.Buckets[0].Results).Totals.SpendUsd);
        Assert.Equal(2, page.Buckets[0].Results[0].Totals.Attempts);
        Assert.Equal(0.25m, Assert.Single(page.Buckets[3].Results).Totals.SpendUsd);
        Assert.All(page.Buckets.Where((_, i) => i is not (0 or 3)), bucket => Assert.Empty(bucket.Results));
    }

    [Fact]
    public void Build_Groups_AreSummedAndSortedByKeyWithAbsentFirst()
    {
        var rows = new[] { Row(1, "m-b", "k", 1m), Row(1, "m-a", "k", 1m), Row(1, "", "k", 1m), Row(1, "m-a", "", 1m), Row(1, "m-a", "k", 0.5m, minute: 30) };

        var results = UsageReport.Build(Hours, rows, ByModelAndKey, UsagePosition.Start, 1000).Buckets[1].Results;

        Assert.Equal([("", "k"), ("m-a", ""), ("m-a", "k"), ("m-b", "k")], results.Select(r => (r.Key.Values[0], r.Key.Values[1])));
        Assert.Equal(1.5m, results[2].Totals.SpendUsd);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    [InlineData(99)]
    [InlineData(100)]
    [InlineData(101)]
    [InlineData(5000)]
    public void Build_PagedAtAnyLimit_GivesEveryResultOnceInOrderAndEveryBucket(int limit)
    {
        var random = new Random(limit);
        // Buckets 2 and 6 empty; the others with 0-60 groups of several rows each.
        var rows = Enumerable.Range(0, 600)
            .Select(_ => random.Next(10))
            .Where(bucket => bucket is not (2 or 6))
            .Select(bucket => Row(bucket, $"m-{random.Next(6)}", $"k-{random.Next(10)}", random.Next(1, 1000) / 100m, minute: random.Next(60)))
            .ToList();
        var whole = UsageReport.Build(Hours, rows, ByModelAndKey, UsagePosition.Start, int.MaxValue);

        var pages = new List<UsagePage>();
        for (var position = UsagePosition.Start; position is not null; position = pages[^1].Next)
        {
            // Each page reads only the rows from its first bucket on, as the endpoint does.
            var from = Hours[position.Bucket];
            pages.Add(UsageReport.Build(Hours, [.. rows.Where(row => row.Start >= from)], ByModelAndKey, position, limit));
            Assert.InRange(pages[^1].Buckets.Sum(bucket => bucket.Results.Count), 1, limit);
            Assert.True(pages.Count < 1000);
        }

        var paged = pages.SelectMany(page => page.Buckets).SelectMany(bucket => bucket.Results.Select(result => (bucket.Start, result))).ToList();
        var expected = whole.Buckets.SelectMany(bucket => bucket.Results.Select(result => (bucket.Start, result))).ToList();
        Assert.Equal(
            expected.Select(pair => (pair.Start, pair.result.Key, pair.result.Totals.SpendUsd, pair.result.Totals.Attempts)),
            paged.Select(pair => (pair.Start, pair.result.Key, pair.result.Totals.SpendUsd, pair.result.Totals.Attempts)));
        // Every bucket is listed; one is listed again only on the page that goes on with it.
        Assert.Equal(Hours.SkipLast(1), pages.SelectMany(page => page.Buckets).Select(bucket => bucket.Start).Distinct());
        for (var i = 1; i < pages.Count; i++)
        {
            var repeated = pages[i].Buckets[0].Start == pages[i - 1].Buckets[^1].Start;
            Assert.Equal(repeated, pages[i - 1].Next!.After is not null);
        }
    }

    [Fact]
    public void Build_PageFullAtABucketsEnd_TakesTheFollowingEmptyBucketsAlong()
    {
        var rows = new[] { Row(0, "m-a", "k", 1m), Row(0, "m-b", "k", 1m), Row(4, "m-a", "k", 1m) };

        var first = UsageReport.Build(Hours, rows, ByModelAndKey, UsagePosition.Start, 2);
        var second = UsageReport.Build(Hours, rows, ByModelAndKey, first.Next!, 2);

        Assert.Equal(Hours.Take(4), first.Buckets.Select(bucket => bucket.Start));
        Assert.Equal(new UsagePosition(4, null), first.Next);
        Assert.Equal(Hours.Skip(4).SkipLast(1), second.Buckets.Select(bucket => bucket.Start));
        Assert.Null(second.Next);
    }

    [Fact]
    public void Build_NoRowsAtAll_IsOnePageOfEmptyBuckets()
    {
        var page = UsageReport.Build(Hours, [], ByModelAndKey, UsagePosition.Start, 1);

        Assert.Equal(10, page.Buckets.Count);
        Assert.All(page.Buckets, bucket => Assert.Empty(bucket.Results));
        Assert.Null(page.Next);
    }

    private static RollupRow Row(int hour, string model, string apiKey, decimal spend, int minute = 0)
    {
        var totals = new UsageTotals { Attempts = 1, Requests = 1, SpendUsd = spend, LatencySumMs = 100, LatencyMaxMs = 100 };
        totals.Latency.Add(100);
        var key = new RollupKey("env", "dp", apiKey, model, "", "", "", StatusClass.Success, "", KeyBound: true);
        return new RollupRow(Start.AddHours(hour).AddMinutes(minute), key, totals);
    }
}
