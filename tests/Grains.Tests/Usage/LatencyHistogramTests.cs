using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Tests.Usage;

public sealed class LatencyHistogramTests
{
    public static TheoryData<int, long> Shapes => new()
    {
        { 1, 16 },
        { 2, 3_000 },
        { 3, 400_000 },
        { 4, 90_000_000 },
        { 5, 5_000_000_000 },
        { 6, long.MaxValue / 2 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Percentile_RandomValues_IsWithinFivePercentOfTheExactNearestRank(int seed, long largest)
    {
        var random = new Random(seed);
        foreach (var count in new[] { 1, 2, 7, 100, 5_000 })
        {
            // Half the values small (below 16 each has a bucket of its own), half spread log-uniformly up to the largest.
            var values = Enumerable.Range(0, count)
                .Select(_ => random.Next(2) == 0 ? random.Next(16) : (long)Math.Exp(random.NextDouble() * Math.Log(largest)))
                .ToList();
            var histogram = new LatencyHistogram();
            values.ForEach(histogram.Add);
            values.Sort();

            foreach (var q in new[] { 0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0 })
            {
                var exact = values[(int)Math.Max(1, Math.Ceiling(q * count)) - 1];
                var approximate = histogram.Percentile(q, values[^1])!.Value;
                Assert.InRange(approximate, exact * 0.95, Math.Max(exact * 1.05, exact + 0.01));
                if (exact < LatencyHistogram.ExactBelow)
                {
                    Assert.Equal(exact, approximate);
                }
            }
        }
    }

    [Fact]
    public void Percentile_NeverAboveTheGivenMaximum()
    {
        var histogram = new LatencyHistogram();
        // 16 starts its bucket, whose midpoint is above it.
        histogram.Add(16);

        Assert.Equal(16, histogram.Percentile(0.99, max: 16));
        Assert.True(histogram.Percentile(0.99) > 16);
    }

    [Fact]
    public void Percentile_Empty_IsNull()
    {
        Assert.Null(new LatencyHistogram().Percentile(0.5));
    }

    [Fact]
    public void BucketOf_EveryBoundaryValue_FallsInTheBucketThatStartsThere()
    {
        var previous = -1;
        for (long ms = 0; ms < 200_000; ms++)
        {
            var bucket = LatencyHistogram.BucketOf(ms);
            Assert.InRange(bucket - previous, 0, 1);
            previous = bucket;
        }

        Assert.True(LatencyHistogram.BucketOf(long.MaxValue) < LatencyHistogram.MaxBucket);
        Assert.Equal(0, LatencyHistogram.BucketOf(-5));
    }

    [Fact]
    public void EncodeAndParse_RoundTripAndMergeAddsBucketByBucket()
    {
        var left = new LatencyHistogram();
        var right = new LatencyHistogram();
        var both = new LatencyHistogram();
        foreach (var ms in new long[] { 0, 3, 3, 15, 16, 17, 250, 250, 99_999, long.MaxValue })
        {
            (ms % 2 == 0 ? left : right).Add(ms);
            both.Add(ms);
        }

        Assert.Equal(left.Encode(), LatencyHistogram.Parse(left.Encode()).Encode());
        Assert.Equal(both.Encode(), LatencyHistogram.Merge(left.Encode(), right.Encode()));
        Assert.Equal(left.Encode(), LatencyHistogram.Merge(left.Encode(), ""));
        Assert.Equal("", LatencyHistogram.Merge(null, null));
        Assert.Equal(10, LatencyHistogram.Parse(both.Encode()).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Add_RandomHistograms_EqualsAddingEveryValueToOne(int seed)
    {
        // Sparse and dense runs, disjoint and overlapping, empty on either side, into a histogram
        // that already has room (the capacity constructor) and into one that must grow; and a few
        // values into many (added bucket by bucket rather than merged).
        var random = new Random(seed);
        for (var round = 0; round < 400; round++)
        {
            var left = random.Next(3) == 0 ? new LatencyHistogram(random.Next(0, 40)) : new LatencyHistogram();
            var right = new LatencyHistogram();
            var expected = new LatencyHistogram();
            var scale = random.Next(3) switch { 0 => 20, 1 => 5_000, _ => 10_000_000 };
            var few = round % 2 == 1;
            foreach (var histogram in new[] { left, right })
            {
                var offset = random.Next(scale);
                for (var i = few && histogram == right ? random.Next(1, 5) : random.Next(0, 60); i > 0; i--)
                {
                    var ms = offset + random.NextInt64(scale);
                    histogram.Add(ms);
                    expected.Add(ms);
                }
            }

            left.Add(right);
            Assert.Equal(expected.Encode(), left.Encode());
            Assert.Equal(expected.Count, left.Count);
            Assert.Equal(expected.Percentile(0.95), left.Percentile(0.95));
        }
    }

    [Theory]
    [InlineData("3")]
    [InlineData("3:")]
    [InlineData(":4")]
    [InlineData("-1:4")]
    [InlineData("3:x")]
    [InlineData("100000:1")]
    public void Parse_NotAStoredHistogram_Throws(string text)
    {
        Assert.Throws<FormatException>(() => LatencyHistogram.Parse(text));
    }
}
