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
    public void ClosedTotalPlusLaterAdjustments_RandomLateTrafficAndEmptyMonths_IsEveryEventOnce()
    {
        // The grain's algorithm over a year of months, some without any usage when they close, late
        // events arriving for every month still within the window: each month's closed total plus
        // the adjustments for it in later statements must be every event of it, once.
        var random = new Random(20261207);
        var window = TimeSpan.FromDays(35);
        var months = Enumerable.Range(0, 12).Select(i => new StatementPeriod(2026, 1).Plus(i)).ToList();
        var ledger = new List<(StatementPeriod Period, string Model, decimal Spend)>();
        var closed = new List<ClosedStatement>();
        var totals = new Dictionary<StatementPeriod, decimal>();
        var adjusted = months.ToDictionary(month => month, _ => 0m);
        var known = new List<PeriodSum>();
        for (var index = 0; index < months.Count; index++)
        {
            var month = months[index];
            var end = month.Window(TimeZoneInfo.Utc).End;
            var closeAt = end.AddDays(random.Next(0, 4));
            // Usage of the month itself (none in a third of them), and late usage of any month that ended
            // less than the window before now, as the data plane accepts it.
            var own = random.Next(3) == 0 ? 0 : random.Next(1, 40);
            for (var i = 0; i < own; i++)
            {
                ledger.Add((month, $"m-{random.Next(3)}", random.Next(1, 10_000) / 10_000m));
            }

            foreach (var earlier in months.Take(index).Where(m => m.Window(TimeZoneInfo.Utc).End > closeAt - window))
            {
                for (var i = random.Next(0, 4); i > 0; i--)
                {
                    ledger.Add((earlier, $"m-{random.Next(3)}", random.Next(1, 10_000) / 10_000m));
                }
            }

            var tracked = StatementBuilder.Tracked(closed, window);
            var current = tracked.SelectMany(c => StatementBuilder.Sums(Parse(c.Period), RowsOf(ledger.Where(e => e.Period == Parse(c.Period))))).ToList();
            var adjustments = StatementBuilder.Adjustments(current, known);
            foreach (var adjustment in adjustments)
            {
                adjusted[adjustment.Period] += adjustment.SpendUsd;
            }

            var lines = StatementBuilder.Lines(RowsOf(ledger.Where(e => e.Period == month)));
            totals[month] = lines.Sum(line => line.SpendUsd);
            var statement = new ClosedStatement(month.ToString(), month.Window(TimeZoneInfo.Utc).Start, end, closeAt, 0m, "");
            closed.Add(statement);
            var stillTracked = StatementBuilder.Tracked(closed, window).Select(c => c.Period).ToHashSet();
            known = [.. StatementBuilder.Known(known, current).Concat(StatementBuilder.Sums(month, lines)).Where(sum => stillTracked.Contains(sum.Period))];
        }

        // The open statement after the last close lists what is left.
        var last = StatementBuilder.Tracked(closed, window);
        var final = last.SelectMany(c => StatementBuilder.Sums(Parse(c.Period), RowsOf(ledger.Where(e => e.Period == Parse(c.Period)))));
        foreach (var adjustment in StatementBuilder.Adjustments(final, known))
        {
            adjusted[adjustment.Period] += adjustment.SpendUsd;
        }

        // Some month had nothing when it closed and got late events after: the case to get right.
        Assert.Contains(months, month => totals[month] == 0m && adjusted[month] > 0m);
        foreach (var month in months)
        {
            Assert.Equal(ledger.Where(e => e.Period == month).Sum(e => e.Spend), totals[month] + adjusted[month]);
        }
    }

    [Fact]
    public void Tracked_KeepsEveryClosedMonthEndingWithinTheWindowOfTheLastClose_EmptyOnesToo()
    {
        var months = Enumerable.Range(0, 4).Select(i => new StatementPeriod(2026, 8).Plus(i)).ToList();
        var closed = months.Select(m => new ClosedStatement(
            m.ToString(), m.Window(TimeZoneInfo.Utc).Start, m.Window(TimeZoneInfo.Utc).End, m.Window(TimeZoneInfo.Utc).End.AddDays(3), 0m, "")).ToList();

        var tracked = StatementBuilder.Tracked(closed, TimeSpan.FromDays(35));

        // Closed 2026-12-04: November and October (ended 2026-11-01, within 35 days) can still get events.
        Assert.Equal(["2026-10", "2026-11"], tracked.Select(c => c.Period));
        Assert.Empty(StatementBuilder.Tracked([], TimeSpan.FromDays(35)));
    }

    [Theory]
    [InlineData("Asia/Kathmandu")]
    [InlineData("America/Los_Angeles")]
    [InlineData("Pacific/Chatham")]
    public void OpenWindow_AfterTheBillingZoneChanged_StartsWhereTheLastClosedEnded(string zoneName)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
        var closedEnd = November.Window(TimeZoneInfo.Utc).End;
        var december = November.Plus(1);

        var first = StatementBuilder.OpenWindow(december, zone, firstOpen: true, closedEnd);
        var second = StatementBuilder.OpenWindow(december.Plus(1), zone, firstOpen: false, closedEnd);

        Assert.Equal(closedEnd, first.Start);
        Assert.Equal(december.Window(zone).End, first.End);
        Assert.Equal(first.End, second.Start);
        Assert.Equal(december.Window(zone), StatementBuilder.OpenWindow(december, zone, firstOpen: true, lastClosedEnd: null));
    }

    private static IEnumerable<RollupRow> RowsOf(IEnumerable<(StatementPeriod Period, string Model, decimal Spend)> events) =>
        events.Select(e => Row("prod", e.Model, "", attempts: 1, spend: e.Spend));

    private static StatementPeriod Parse(string period) => StatementPeriod.TryParse(period, out var parsed) ? parsed : throw new FormatException(period);

    private static PeriodSum Sum(StatementPeriod period, string environment, string model, long attempts, decimal spend) =>
        new(period.ToString(), environment, model, attempts, spend);

    private static RollupRow Row(string environment, string model, string providerKey, long attempts, decimal spend, string apiKey = "k-1")
    {
        var totals = new UsageTotals { Attempts = attempts, Requests = attempts, PromptTokens = attempts * 100, SpendUsd = spend };
        return new RollupRow(Hour, new RollupKey(environment, "dp-1", apiKey, model, providerKey, "", "", "2xx", "initial", true), totals);
    }
}
