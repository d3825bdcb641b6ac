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
    public void Aggregate_OnlyInsertedRows_PerStartAndKey()
    {
        LedgerEntry[] entries =
        [
            Entry("r-1", Hour.AddMinutes(5), 0.1m),
            Entry("r-2", Hour.AddMinutes(5).AddSeconds(30), 0.2m),
            Entry("r-3", Hour.AddMinutes(6), 0.4m),
            Entry("r-4", Hour.AddMinutes(65), 0.8m) with { ModelId = "m-2" },
            Entry("r-5", Hour.AddMinutes(5), 1.6m),
        ];
        bool[] inserted = [true, true, true, true, false];

        var minutes = Rollups.Aggregate(entries, inserted, RollupTier.Minute);
        var hours = Rollups.Aggregate(entries, inserted, RollupTier.Hour);

        var key = entries[0].RollupKey;
        Assert.Equal(3, minutes.Count);
        Assert.Equal(0.3m, minutes[(Hour.AddMinutes(5), key)].SpendUsd);
        Assert.Equal(2, minutes[(Hour.AddMinutes(5), key)].Attempts);
        Assert.Equal(0.4m, minutes[(Hour.AddMinutes(6), key)].SpendUsd);
        Assert.Equal(2, hours.Count);
        Assert.Equal(0.7m, hours[(Hour, key)].SpendUsd);
        Assert.Equal(0.8m, hours[(Hour.AddHours(1), entries[3].RollupKey)].SpendUsd);
        Assert.Equal(4, Rollups.Aggregate(entries, null, RollupTier.Hour)[(Hour, key)].Attempts);
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
