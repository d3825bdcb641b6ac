using BudgetCluster.TestSupport;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>Each real-shaped AISIX payload is accepted over mTLS and priced to the exact decimal computed by hand.</summary>
public sealed class TelemetryFixtureTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    // Pricing of the test world (per million tokens): gpt-4o input 2.50, cached input 1.25, output 10.00;
    // claude secondary input 3.00, output 15.00, cache write 3.75, cache read 0.30.
    [Theory]
    // (1843 - 1536)·2.50 + 1536·1.25 + 212·10 = 767.5 + 1920 + 2120 = 4807.5 µ$
    [InlineData("chat-openai.json", 1, 1, 1843, 212, "0.0048075", "0.00")]
    // cache hit: costs nothing; saves 120·2.50 + 48·10 = 780 µ$
    [InlineData("cache-hit.json", 1, 1, 120, 48, "0.00", "0.00078")]
    // the gateway itself refused (429, no tokens): counted, free
    [InlineData("budget-denied.json", 1, 1, 0, 0, "0.00", "0.00")]
    // pre-v0.7 names latency_ms/ttft_ms: 500·2.50 + 120·10 = 2450 µ$
    [InlineData("legacy-v06-latency-names.json", 1, 1, 500, 120, "0.00245", "0.00")]
    // failed attempt (no tokens) then fallback: 2210·3 + 655·15 + 1024·3.75 = 6630 + 9825 + 3840 = 20295 µ$; one request
    [InlineData("stream-fallback-anthropic.json", 2, 1, 2210, 655, "0.020295", "0.00")]
    public async Task PostTelemetry_Fixture_IsAcceptedAndPricedExactly(
        string fixture, int events, int requests, long promptTokens, long completionTokens, string spend, string savings)
    {
        using var world = await silo.OnboardAsync();

        var answer = await world.Gateway.PostTelemetryOkAsync(world.Fixture(fixture));

        Assert.Equal(events, (int)answer["accepted"]!);
        Assert.Equal(0, (int)answer["duplicates"]!);
        Assert.Empty(answer["rejected"]!.AsArray());
        var detail = await world.GatewayDetailAsync();
        Assert.Equal(events, (long)detail["telemetry"]!["events_accepted"]!);
        Assert.Equal(0, (long)detail["telemetry"]!["events_unpriced"]!);
        Assert.Equal(requests, (long)detail["usage"]!["requests"]!);
        Assert.Equal(promptTokens, (long)detail["usage"]!["prompt_tokens"]!);
        Assert.Equal(completionTokens, (long)detail["usage"]!["completion_tokens"]!);
        Assert.Equal(spend, (string)detail["usage"]!["spend_usd"]!);
        Assert.Equal(savings, (string)detail["usage"]!["cache_savings_usd"]!);
    }

    [Fact]
    public async Task PostTelemetry_AllFixturesTogether_SumExactly()
    {
        using var world = await silo.OnboardAsync();
        string[] fixtures = ["chat-openai.json", "cache-hit.json", "budget-denied.json", "legacy-v06-latency-names.json", "stream-fallback-anthropic.json"];

        foreach (var fixture in fixtures)
        {
            await world.Gateway.PostTelemetryOkAsync(world.Fixture(fixture));
        }

        var usage = (await world.GatewayDetailAsync())["usage"]!;
        // 0.0048075 + 0.00245 + 0.020295
        Assert.Equal("0.0275525", (string)usage["spend_usd"]!);
        Assert.Equal("0.00078", (string)usage["cache_savings_usd"]!);
        Assert.Equal(5, (long)usage["requests"]!);
    }

    [Fact]
    public async Task Metrics_CountTelemetryOutcomesAndLedgerCommits()
    {
        using var world = await silo.OnboardAsync();
        using var anonymous = silo.Admin(null);
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("stream-fallback-anthropic.json"));

        using var response = await anonymous.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var accepted = text.Split('\n').Single(line =>
            line.StartsWith("budgetcluster_telemetry_events_total{", StringComparison.Ordinal)
            && line.Contains("outcome=\"accepted\"", StringComparison.Ordinal));
        Assert.True(long.Parse(accepted[(accepted.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 2, accepted);
        Assert.Contains("budgetcluster_ledger_commit_duration_seconds_bucket", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostTelemetry_ModelWithoutPricing_CountsTheEventAsUnpriced()
    {
        using var world = await silo.OnboardAsync();
        var body = world.Fixture("chat-openai.json").Replace($"m-gpt-4o-{world.Suffix}", "m-unknown", StringComparison.Ordinal);

        var answer = await world.Gateway.PostTelemetryOkAsync(body);

        Assert.Equal(1, (int)answer["accepted"]!);
        var detail = await world.GatewayDetailAsync();
        Assert.Equal(1, (long)detail["telemetry"]!["events_unpriced"]!);
        Assert.Equal("0.00", (string)detail["usage"]!["spend_usd"]!);
        Assert.Equal(1843, (long)detail["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task PostTelemetry_ReportedCost_IsUsedAsIs()
    {
        using var world = await silo.OnboardAsync();
        var body = world.Fixture("chat-openai.json").Replace("\"cost_usd\": 0.0", "\"cost_usd\": \"0.123456789\"", StringComparison.Ordinal);

        await world.Gateway.PostTelemetryOkAsync(body);

        Assert.Equal("0.123456789", (string)(await world.GatewayDetailAsync())["usage"]!["spend_usd"]!);
    }

    [Fact]
    public async Task PutModel_NewPricing_AppliesToTheNextBatchAtOnce()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("legacy-v06-latency-names.json"));

        // From an hour ago: the next batch's events (stamped "now") occurred after the change.
        // Without a date the price would start now, after them, and they would keep the old one (API.md §9).
        await world.Admin.PutOkAsync($"/api/v1/models/m-gpt-4o-{world.Suffix}", $$$"""
            {"environment_id":"{{{world.EnvironmentId}}}","name":"gpt-4o","pricing":{"input_per_mtok":1,"output_per_mtok":1},
             "effective_from":"{{{UsageEvents.Timestamp(TestClock.Now.AddHours(-1))}}}"}
            """);
        var second = world.Fixture("legacy-v06-latency-names.json").Replace("7d1e2f30", "8d1e2f30", StringComparison.Ordinal);
        await world.Gateway.PostTelemetryOkAsync(second);

        // 0.00245 at the old prices, then (500 + 120)·1 = 620 µ$ at the new ones
        Assert.Equal("0.00307", (string)(await world.GatewayDetailAsync())["usage"]!["spend_usd"]!);
    }
}
