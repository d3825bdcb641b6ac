using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Tests.Ledger;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Usage;

public sealed class RollupsTests
{
    private static readonly DateTimeOffset Hour = Rollups.StartOf(TestClock.Now, RollupTier.Hour).AddHours(-2);

    [Fact]
    public void StartOf_AnyOffset_IsTheUtcMinuteOrHour()
    {
        var instant = Hour.AddMinutes(59).AddSeconds(59).AddMilliseconds(999).ToOffset(TimeSpan.FromHours(5.75));

        Assert.Equal(Hour.AddMinutes(59), Rollups.StartOf(instant, RollupTier.Minute));
        Assert.Equal(Hour, Rollups.StartOf(instant, RollupTier.Hour));
        Assert.Equal(TimeSpan.Zero, Rollups.StartOf(instant, RollupTier.Hour).Offset);
    }

    [Fact]
    public void RollupFold_SumsMinutesThenHoursThenProjectionsAndDays()
    {
        LedgerEntry[] entries =
        [
            Entry("r-1", Hour.AddMinutes(5), 0.1m),
            Entry("r-2", Hour.AddMinutes(5).AddSeconds(30), 0.2m),
            Entry("r-3", Hour.AddMinutes(6), 0.4m),
            Entry("r-4", Hour.AddMinutes(65), 0.8m) with { ModelId = "m-2" },
        ];

        var fold = RollupFold.Of(entries);

        var key = entries[0].RollupKey;
        Assert.Equal(4, fold.Rows);
        Assert.Equal(3, fold.Minutes.Count);
        Assert.Equal((2L, 0.3m), (fold.Minutes[(Hour.AddMinutes(5), key)].Attempts, fold.Minutes[(Hour.AddMinutes(5), key)].SpendUsd));
        Assert.Equal(0.4m, fold.Minutes[(Hour.AddMinutes(6), key)].SpendUsd);
        Assert.Equal(2, fold.Hours.Count);
        Assert.Equal(0.7m, fold.Hours[(Hour, key)].SpendUsd);
        Assert.Equal(0.8m, fold.Hours[(Hour.AddHours(1), entries[3].RollupKey)].SpendUsd);

        // Per minute only the environment total; per hour and day every dimension too.
        Assert.All(fold.Projections.Keys.Where(p => p.Tier == RollupTier.Minute), p => Assert.Null(p.Key.Dimension));
        var day = Rollups.StartOf(Hour, RollupTier.Day);
        var total = new ProjectionKey("env", null, "", false);
        Assert.Equal(0.3m, fold.Projections[(RollupTier.Minute, Hour.AddMinutes(5), total)].SpendUsd);
        Assert.Equal(0.8m, fold.Projections[(RollupTier.Hour, Hour.AddHours(1), new ProjectionKey("env", UsageDimension.Model, "m-2", false))].SpendUsd);
        Assert.Equal(0.7m, fold.Projections[(RollupTier.Hour, Hour, new ProjectionKey("env", UsageDimension.Model, "m", false))].SpendUsd);
        var days = fold.Projections.Where(p => p.Key.Tier == RollupTier.Day && p.Key.Key == total).Sum(p => p.Value.SpendUsd);
        Assert.Equal(1.5m, days);
        Assert.Equal(Hour.AddHours(1) >= day.AddDays(1) ? 2 : 1, fold.Projections.Keys.Count(p => p.Tier == RollupTier.Day && p.Key == total));
        Assert.Throws<InvalidOperationException>(fold.Complete);
    }

    [Fact]
    public void RollupKey_AbsentValuesAreEmptyAndStatusIsItsClass()
    {
        var key = (Entry("r", Hour, 0m) with { StatusCode = 429, ProviderKeyId = null, TeamId = "t", KeyBound = true }).RollupKey;

        Assert.Equal(new RollupKey("env", "dp", "k", "m", "", "t", "", StatusClass.TooManyRequests, "", true), key);
    }

    [Fact]
    public void UsageTotals_AddEntry_CountsEveryField()
    {
        var totals = new UsageTotals();
        totals.Add(Entry("r-1", Hour, 0.5m) with { StatusCode = 429, ErrorClass = StatusClass.BudgetErrorClass, UpstreamTtftMs = 40, CacheHit = true });
        totals.Add(Entry("r-2", Hour, 0.25m) with { AttemptIndex = 1, StatusCode = 503, Unpriced = true, UpstreamLatencyMs = 900, CacheSavingsUsd = 0.01m });

        Assert.Equal((2, 1, 0.75m, 0.01m, 1, 1, 2, 1), (totals.Attempts, totals.Requests, totals.SpendUsd, totals.CacheSavingsUsd, totals.CacheHits, totals.UnpricedAttempts, totals.ErrorAttempts, totals.BudgetDenied));
        Assert.Equal((905L, 900L, 2L), (totals.LatencySumMs, totals.LatencyMaxMs, totals.Latency.Count));
        Assert.Equal((1L, 40L, 1L), (totals.TtftCount, totals.TtftSumMs, totals.Ttft.Count));
    }

    private static LedgerEntry Entry(string requestId, DateTimeOffset occurredAt, decimal cost) =>
        UsageLedgerContract.Entry("env", "dp", requestId, 0, 1, cost) with { OccurredAt = occurredAt, ReceivedAt = occurredAt };
}
