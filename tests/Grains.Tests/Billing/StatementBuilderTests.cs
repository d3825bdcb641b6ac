using BudgetCluster.Grains.Billing;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Tests.Billing;

/// <summary>The statement arithmetic of API.md §8 (<see cref="StatementBuilder"/>).</summary>
public sealed class StatementBuilderTests
{
    private static readonly StatementPeriod October = new(2026, 10);
    private static readonly StatementPeriod November = new(2026, 11);
    private static readonly DateTimeOffset Hour = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Lines_RowsOfOneEnvironmentModelAndProviderKey_AreSummedIntoOneSortedLine()
    {
        RollupRow[] rows =
        [
            Row("prod", "m-b", "pk-1", attempts: 2, spend: 0.10m),
            Row("prod", "m-a", "", attempts: 1, spend: 0.01m),
            Row("prod", "m-b", "pk-1", attempts: 3, spend: 0.25m, apiKey: "k-2"),
            Row("dev", "m-b", "pk-1", attempts: 1, spend: 1m),
        ];

        var lines = StatementBuilder.Lines(rows);

        Assert.Equal(
            [("dev", "m-b", "pk-1", 1L, 1m), ("prod", "m-a", "", 1L, 0.01m), ("prod", "m-b", "pk-1", 5L, 0.35m)],
            lines.Select(line => (line.EnvironmentId, line.ModelId, line.ProviderKeyId, line.Attempts, line.SpendUsd)));
        Assert.Equal(5 * 100, lines[2].PromptTokens);
    }

    [Fact]
    public void Adjustments_AreWhatEachSumGainedSinceTheClose_AndNothingForOneThatDidNot()
    {
        PeriodSum[] known = [Sum(October, "prod", "m-a", 10, 1.00m), Sum(October, "prod", "m-b", 4, 0.40m), Sum(November, "prod", "m-a", 7, 0.70m)];
        PeriodSum[] current = [Sum(October, "prod", "m-a", 12, 1.25m), Sum(October, "prod", "m-b", 4, 0.40m), Sum(October, "dev", "m-a", 1, 0.05m), Sum(November, "prod", "m-a", 7, 0.70m)];

        var adjustments = StatementBuilder.Adjustments(current, known);

        Assert.Equal(
            [(October, "dev", "m-a", 1L, 0.05m), (October, "prod", "m-a", 2L, 0.25m)],
            adjustments.Select(a => (a.Period, a.EnvironmentId, a.ModelId, a.Attempts, a.SpendUsd)));
    }

    [Fact]
    public void Adjustments_SumOfADeletedEnvironmentMissingNow_AdjustsNothing()
    {
        var adjustments = StatementBuilder.Adjustments([], [Sum(October, "gone", "m-a", 3, 0.30m)]);

        Assert.Empty(adjustments);
    }

    [Fact]
    public void Known_TakesTheGrownSumsAndKeepsTheOthers()
    {
        PeriodSum[] known = [Sum(October, "prod", "m-a", 10, 1.00m), Sum(October, "gone", "m-a", 3, 0.30m)];
        PeriodSum[] current = [Sum(October, "prod", "m-a", 12, 1.25m), Sum(October, "dev", "m-b", 1, 0.01m)];

        var next = StatementBuilder.Known(known, current);

        Assert.Equal(
            [Sum(October, "dev", "m-b", 1, 0.01m), Sum(October, "gone", "m-a", 3, 0.30m), Sum(October, "prod", "m-a", 12, 1.25m)],
            next.ToArray());
    }

    [Fact]
    public void ClosedTotalPlusLaterAdjustments_RandomLateTraffic_IsEveryEventOnce()
    {
        // A ledger of events of three periods arriving over time; statements close one after another
        // and each open one lists what the closed periods gained: the model the grain follows.
        var random = new Random(20261207);
        StatementPeriod[] periods = [new(2026, 9), October, November];
        var ledger = new List<(StatementPeriod Period, string Model, decimal Spend)>();
        var closedTotals = new Dictionary<StatementPeriod, decimal>();
        var adjusted = periods.ToDictionary(period => period, _ => 0m);
        var known = new List<PeriodSum>();
        for (var closing = 0; closing < periods.Length; closing++)
        {
            for (var i = random.Next(50, 200); i > 0; i--)
            {
                // Mostly the period being closed, some late ones for those closed before it.
                var period = periods[Math.Max(0, closing - (random.Next(4) == 0 ? random.Next(0, closing + 1) : 0))];
                ledger.Add((period, $"m-{random.Next(3)}", random.Next(1, 10_000) / 10_000m));
            }

            var current = periods.Take(closing)
                .SelectMany(period => StatementBuilder.Sums(period, RowsOf(ledger.Where(e => e.Period == period))))
                .ToList();
            foreach (var adjustment in StatementBuilder.Adjustments(current, known))
            {
                adjusted[adjustment.Period] += adjustment.SpendUsd;
            }

            var lines = StatementBuilder.Lines(RowsOf(ledger.Where(e => e.Period == periods[closing])));
            closedTotals[periods[closing]] = lines.Sum(line => line.SpendUsd);
            known = [.. StatementBuilder.Known(known, current).Concat(StatementBuilder.Sums(periods[closing], lines))];
        }

        foreach (var period in periods.Take(2))
        {
            var final = StatementBuilder.Adjustments(StatementBuilder.Sums(period, RowsOf(ledger.Where(e => e.Period == period))), known);
            Assert.Equal(
                ledger.Where(e => e.Period == period).Sum(e => e.Spend),
                closedTotals[period] + adjusted[period] + final.Sum(adjustment => adjustment.SpendUsd));
        }
    }

    private static IEnumerable<RollupRow> RowsOf(IEnumerable<(StatementPeriod Period, string Model, decimal Spend)> events) =>
        events.Select(e => Row("prod", e.Model, "", attempts: 1, spend: e.Spend));

    private static PeriodSum Sum(StatementPeriod period, string environment, string model, long attempts, decimal spend) =>
        new(period.ToString(), environment, model, attempts, spend);

    private static RollupRow Row(string environment, string model, string providerKey, long attempts, decimal spend, string apiKey = "k-1")
    {
        var totals = new UsageTotals { Attempts = attempts, Requests = attempts, PromptTokens = attempts * 100, SpendUsd = spend };
        return new RollupRow(Hour, new RollupKey(environment, "dp-1", apiKey, model, providerKey, "", "", "2xx", "initial", true), totals);
    }
}
