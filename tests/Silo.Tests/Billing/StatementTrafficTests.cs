using System.Globalization;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Billing;

/// <summary>
/// API.md §8's invariant over random traffic and two month ends: for every period, its closed total
/// plus every later adjustment for it is the ledger's spend for it (and the events the test sent).
/// </summary>
public sealed class StatementTrafficTests(StatementClockFixture silo) : IClassFixture<StatementClockFixture>
{
    [Fact]
    public async Task RandomLateTraffic_ClosedTotalPlusLaterAdjustments_IsEachPeriodsSpend()
    {
        using var world = await silo.OnboardAsync();
        string[] models = [$"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}", $"m-unknown-{world.Suffix}"];
        var random = new Random(1207);
        var sent = new List<(DateTimeOffset OccurredAt, decimal Cost)>();
        var first = StatementPeriod.Containing(silo.Clock.GetUtcNow(), TimeZoneInfo.Utc);
        StatementPeriod[] periods = [first, first.Next, first.Next.Next];
        var next = 0;

        async Task PostAsync(int count, Func<DateTimeOffset> occurredAt)
        {
            var batch = new List<JsonObject>();
            for (var i = 0; i < count; i++)
            {
                var at = DateTimeOffset.FromUnixTimeSeconds(occurredAt().ToUnixTimeSeconds());
                var cost = random.Next(1, 100_000) / 1_000_000m;
                batch.Add(UsageEvents.Event(
                    $"e{next++}", at, models[random.Next(models.Length)], apiKeyId: $"k-{random.Next(3)}", cost: cost.ToString(CultureInfo.InvariantCulture)));
                sent.Add((at, cost));
            }

            var body = UsageEvents.Body(batch);
            await world.Gateway.PostTelemetryOkAsync(body);
            if (random.Next(3) == 0)
            {
                // A gateway resending a batch whose answer it missed: nothing counts twice.
                await world.Gateway.PostTelemetryOkAsync(body);
            }
        }

        DateTimeOffset Now() => silo.Clock.GetUtcNow();
        DateTimeOffset LateFor(StatementPeriod period) => period.Window(TimeZoneInfo.Utc).End.AddMinutes(-random.Next(1, 600));

        await PostAsync(40, Now);
        await PastTheEndAsync(periods[0]);
        var firstBody = await StatementCloseTests.ClosedBodyAsync(world, periods[0]);
        await PostAsync(30, Now);
        await PostAsync(12, () => LateFor(periods[0]));
        await PastTheEndAsync(periods[1]);
        await StatementCloseTests.ClosedBodyAsync(world, periods[1]);
        await PostAsync(20, Now);
        await PostAsync(9, () => LateFor(periods[0]));
        await PostAsync(7, () => LateFor(periods[1]));

        var statements = new List<JsonNode>();
        foreach (var period in periods)
        {
            statements.Add(await StatementCloseTests.StatementAsync(world, period));
        }

        Assert.Equal(firstBody, await StatementCloseTests.BodyAsync(world, periods[0]));
        Assert.Equal(["closed", "closed", "open"], statements.Select(statement => (string)statement["status"]!));
        Assert.Empty(statements[0]["adjustments"]!.AsArray());
        foreach (var period in periods.Take(2))
        {
            var window = period.Window(TimeZoneInfo.Utc);
            var spent = sent.Where(e => window.Contains(e.OccurredAt)).Sum(e => e.Cost);
            var closedTotal = Money(statements[periods.ToList().IndexOf(period)]["total_usd"]!)
                - statements[periods.ToList().IndexOf(period)]["adjustments"]!.AsArray().Sum(a => Money(a!["spend_usd"]!));
            var adjusted = statements.SelectMany(statement => statement["adjustments"]!.AsArray())
                .Where(a => (string)a!["period"]! == period.ToString())
                .Sum(a => Money(a!["spend_usd"]!));

            Assert.True(adjusted > 0m, $"no late event of {period} was adjusted");
            Assert.Equal(spent, closedTotal + adjusted);
            Assert.Equal(spent, await StatementCloseTests.UsageSpendAsync(world, period));
        }

        var lastWindow = periods[2].Window(TimeZoneInfo.Utc);
        Assert.Equal(
            sent.Where(e => lastWindow.Contains(e.OccurredAt)).Sum(e => e.Cost),
            statements[2]["lines"]!.AsArray().Sum(line => Money(line!["spend_usd"]!)));
    }

    private async Task PastTheEndAsync(StatementPeriod period) =>
        silo.Clock.Advance(period.Window(TimeZoneInfo.Utc).End - silo.Clock.GetUtcNow() + TimeSpan.FromMinutes(70));

    private static decimal Money(JsonNode value) => decimal.Parse((string)value!, CultureInfo.InvariantCulture);
}
