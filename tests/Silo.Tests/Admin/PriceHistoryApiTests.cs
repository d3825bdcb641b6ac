using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Export;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary>API.md §9 through a real silo: events priced by the price in force when they occurred, and the timeline.</summary>
public sealed class PriceHistoryApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task PriceChange_EventsArePricedByWhenTheyOccurred_NotWhenTheyArrive_AndStoredOnesKeepTheirPrice()
    {
        using var world = await silo.OnboardAsync();
        var model = $"m-gpt-4o-{world.Suffix}";
        // The change takes effect a minute ago, at a whole second (gateways send whole seconds).
        var change = DateTimeOffset.FromUnixTimeSeconds(TestClock.Now.ToUnixTimeSeconds() - 60);
        var early = UsageEvents.Event("arrived-before-the-change", change.AddSeconds(10), model, promptTokens: 1_000_000, completionTokens: 0);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([early]));

        var put = await world.Admin.PutOkAsync($"/api/v1/models/{model}", $$$"""
            {"environment_id":"{{{world.EnvironmentId}}}","name":"gpt-4o","effective_from":"{{{UsageEvents.Timestamp(change)}}}",
             "pricing":{"input_per_mtok":"5.00","output_per_mtok":"20.00"}}
            """);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(
        [
            UsageEvents.Event("occurred-before", change.AddSeconds(-1), model, promptTokens: 1_000_000, completionTokens: 0),
            UsageEvents.Event("occurred-at", change, model, promptTokens: 1_000_000, completionTokens: 0),
            UsageEvents.Event("occurred-after", change.AddSeconds(30), model, promptTokens: 1_000_000, completionTokens: 0),
        ]));

        Assert.Equal(2, (int)put["price_version"]!);
        Assert.Equal("5.00", (string)put["pricing"]!["input_per_mtok"]!);
        Assert.Equal(UsageEvents.Timestamp(change), (string)put["effective_from"]!);
        var events = (await ExportReader.ReadAllAsync(world.Admin, world.OrgId)).Events
            .ToDictionary(e => (string)e["request_id"]!, e => ((string)e["cost_usd"]!, (int)e["price_version"]!));
        Assert.Equal(("2.50", 1), events["occurred-before"]);
        Assert.Equal(("5.00", 2), events["occurred-at"]);
        Assert.Equal(("5.00", 2), events["occurred-after"]);
        // Stored before the change, which covers it: never re-priced.
        Assert.Equal(("2.50", 1), events["arrived-before-the-change"]);
        var gateway = await world.Admin.GetOkAsync($"/api/v1/environments/{world.EnvironmentId}/gateways/dp-east-1");
        Assert.Equal("15.00", (string)gateway["usage"]!["spend_usd"]!);
    }

    [Fact]
    public async Task Prices_ListTheTimelineWithEffectiveDates()
    {
        using var world = await silo.OnboardAsync();
        var model = $"m-claude-primary-{world.Suffix}";
        var later = DateTimeOffset.FromUnixTimeSeconds(TestClock.Now.ToUnixTimeSeconds() + 86_400);
        var body = $$$"""
            {"environment_id":"{{{world.EnvironmentId}}}","name":"claude","effective_from":"{{{UsageEvents.Timestamp(later)}}}",
             "pricing":{"input_per_mtok":4,"output_per_mtok":16}}
            """;
        await world.Admin.PutOkAsync($"/api/v1/models/{model}", body);
        // The same change again is no new version.
        await world.Admin.PutOkAsync($"/api/v1/models/{model}", body);

        var prices = (await world.Admin.GetOkAsync($"/api/v1/models/{model}/prices")).AsArray();
        var current = await world.Admin.GetOkAsync($"/api/v1/models/{model}");

        Assert.Equal(2, prices.Count);
        Assert.Equal(1, (int)prices[0]!["version"]!);
        Assert.Null(prices[0]!["effective_from"]);
        Assert.Equal(UsageEvents.Timestamp(later), (string)prices[0]!["effective_to"]!);
        Assert.Equal("3.00", (string)prices[0]!["pricing"]!["input_per_mtok"]!);
        Assert.Equal(2, (int)prices[1]!["version"]!);
        Assert.Equal(UsageEvents.Timestamp(later), (string)prices[1]!["effective_from"]!);
        Assert.Null(prices[1]!["effective_to"]);
        Assert.Equal("16.00", (string)prices[1]!["pricing"]!["output_per_mtok"]!);
        // The model shows the price in force now: the scheduled one is not yet.
        Assert.Equal(1, (int)current["price_version"]!);
        Assert.Equal("3.00", (string)current["pricing"]!["input_per_mtok"]!);
    }

    [Theory]
    [InlineData("\"yesterday\"", "'effective_from' must be an RFC 3339 date-time")]
    [InlineData("\"2026-11-01T00:00:00\"", "'effective_from' must be an RFC 3339 date-time")]
    [InlineData("1764547200", "effective_from")]
    public async Task Put_BadEffectiveFrom_Is400NamingIt_AndTheTimelineIsUnchanged(string effectiveFrom, string message)
    {
        using var world = await silo.OnboardAsync();
        var model = $"m-gpt-4o-{world.Suffix}";

        using var response = await world.Admin.PutAsync($"/api/v1/models/{model}", $$$"""
            {"environment_id":"{{{world.EnvironmentId}}}","name":"gpt-4o","effective_from":{{{effectiveFrom}}},
             "pricing":{"input_per_mtok":9,"output_per_mtok":9}}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var prices = (await world.Admin.GetOkAsync($"/api/v1/models/{model}/prices")).AsArray();
        Assert.Equal("2.50", (string)Assert.Single(prices)!["pricing"]!["input_per_mtok"]!);
    }

    [Fact]
    public async Task Prices_UnknownOrMalformedModel_Is404Or400()
    {
        using var admin = silo.Admin();

        using var unknown = await admin.GetAsync($"/api/v1/models/m-never-{Guid.NewGuid():N}/prices");
        using var malformed = await admin.GetAsync("/api/v1/models/-bad/prices");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("not found", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("model_id", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_ModelCreatedWithAFutureDate_LeavesEarlierEventsUnpriced()
    {
        using var world = await silo.OnboardAsync();
        var model = $"m-later-{world.Suffix}";
        var from = DateTimeOffset.FromUnixTimeSeconds(TestClock.Now.ToUnixTimeSeconds() + 3_600);
        await world.Admin.PutOkAsync($"/api/v1/models/{model}", $$$"""
            {"environment_id":"{{{world.EnvironmentId}}}","name":"later","effective_from":"{{{UsageEvents.Timestamp(from)}}}",
             "pricing":{"input_per_mtok":1,"output_per_mtok":1}}
            """);

        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("before-any-price", modelId: model)]));

        var exported = Assert.Single((await ExportReader.ReadAllAsync(world.Admin, world.OrgId)).Events);
        Assert.True((bool)exported["unpriced"]!);
        Assert.Null(exported["price_version"]);
        var shown = await world.Admin.GetOkAsync($"/api/v1/models/{model}");
        Assert.Equal(UsageEvents.Timestamp(from), (string)shown["effective_from"]!);
    }
}
