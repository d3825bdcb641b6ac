using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Export;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Billing;

/// <summary><c>POST /orgs/{org_id}/rerate</c> (API.md §9) through a real silo: exact, per model, and changing nothing.</summary>
public sealed class RerateApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private const string GptPrices = """{"input_per_mtok":"2.50","output_per_mtok":10,"cached_input_per_mtok":1.25}""";
    private const string GptDoubled = """{"input_per_mtok":"5.00","output_per_mtok":20,"cached_input_per_mtok":"2.50"}""";
    private const string ClaudePrices = """{"input_per_mtok":3,"output_per_mtok":15}""";

    [Fact]
    public async Task Rerate_CurrentPricesGiveZero_DoubledPricesTwiceTheSpend_AndNothingChanges()
    {
        using var world = await silo.OnboardAsync();
        var (gpt, claude) = ($"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}");
        var random = new Random(12);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Enumerable.Range(0, 40).Select(i =>
        {
            var e = UsageEvents.Event($"r{i}", TestClock.Now.AddMinutes(-random.Next(0, 50)), i % 3 == 0 ? claude : gpt,
                promptTokens: random.Next(1, 20_000), completionTokens: random.Next(0, 3_000));
            e["cached_prompt_tokens"] = random.Next(0, 2) == 0 ? 0 : random.Next(0, 500);
            return e;
        })));
        var exportBefore = (await ExportReader.ReadAllAsync(world.Admin, world.OrgId)).Events.Select(e => e.ToJsonString()).ToList();
        var window = Window(world, TestClock.Now.AddHours(-1), TestClock.Now.AddMinutes(1));

        var current = await RerateAsync(world, window, $$$"""{"{{{gpt}}}":{{{GptPrices}}},"{{{claude}}}":{{{ClaudePrices}}}}""");
        var doubled = await RerateAsync(world, window, $$$"""{"{{{gpt}}}":{{{GptDoubled}}}}""");

        Assert.Equal("0.00", (string)current["delta_usd"]!);
        Assert.Equal((string)current["spend_usd"]!, (string)current["rerated_usd"]!);
        Assert.All(current["models"]!.AsArray(), model => Assert.Equal("0.00", (string)model!["delta_usd"]!));
        var models = doubled["models"]!.AsArray().ToDictionary(m => (string)m!["model_id"]!, m => m!);
        Assert.Equal(Money(models[gpt]["spend_usd"]) * 2, Money(models[gpt]["rerated_usd"]));
        Assert.True(Money(models[gpt]["spend_usd"]) > 0m);
        Assert.Equal("0.00", (string)models[claude]["delta_usd"]!);
        Assert.Equal(40, models.Values.Sum(m => (long)m["attempts"]!));
        var exported = (await ExportReader.ReadAllAsync(world.Admin, world.OrgId)).Events;
        Assert.Equal(exported.Sum(e => Money(e["cost_usd"])), Money(doubled["spend_usd"]));
        Assert.Equal(exportBefore, exported.Select(e => e.ToJsonString()));
        Assert.Equal("2.50", (string)(await world.Admin.GetOkAsync($"/api/v1/models/{gpt}"))["pricing"]!["input_per_mtok"]!);
    }

    [Fact]
    public async Task Rerate_EventsOutsideTheWindow_AreNotCounted()
    {
        using var world = await silo.OnboardAsync();
        var gpt = $"m-gpt-4o-{world.Suffix}";
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(
        [
            UsageEvents.Event("old", TestClock.Now.AddHours(-3), gpt, promptTokens: 1_000_000, completionTokens: 0),
            UsageEvents.Event("new", TestClock.Now.AddMinutes(-5), gpt, promptTokens: 1_000_000, completionTokens: 0),
        ]));

        var answer = await RerateAsync(world, Window(world, TestClock.Now.AddHours(-1), TestClock.Now.AddMinutes(1)), $$$"""{"{{{gpt}}}":{{{GptDoubled}}}}""");

        var line = Assert.Single(answer["models"]!.AsArray())!;
        Assert.Equal((1L, "2.50", "5.00", "2.50"), ((long)line["attempts"]!, (string)line["spend_usd"]!, (string)line["rerated_usd"]!, (string)line["delta_usd"]!));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"ending_at":"2026-11-02T00:00:00Z","prices":{}}""", "missing required field 'starting_at'" },
        { """{"starting_at":"yesterday","ending_at":"2026-11-02T00:00:00Z","prices":{}}""", "'starting_at' must be an RFC 3339 date-time" },
        { """{"starting_at":"2026-11-01T00:00:00Z","prices":{}}""", "missing required field 'ending_at'" },
        { """{"starting_at":"2026-11-02T00:00:00Z","ending_at":"2026-11-01T00:00:00Z","prices":{}}""", "'ending_at' must be after 'starting_at'" },
        { """{"starting_at":"2025-01-01T00:00:00Z","ending_at":"2026-11-01T00:00:00Z","prices":{}}""", "is at most 366 days" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z"}""", "missing required field 'prices'" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":{"m-x":{"output_per_mtok":1}}}""", "missing required field 'prices.m-x.input_per_mtok'" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":{"m-x":{"input_per_mtok":-1,"output_per_mtok":1}}}""", "'prices.m-x.input_per_mtok' must be from 0 to" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":{"bad id!":{"input_per_mtok":1,"output_per_mtok":1}}}""", "prices.bad id!" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":{"m-x":null}}""", "'prices.m-x' must be a pricing object" },
        { """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":[]}""", "prices" },
        { """{"starting_at":"2026-11-01T00:00:00Z",""", "malformed JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Rerate_BadBody_Is400NamingTheField(string body, string message)
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/rerate", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rerate_UnknownOrg_Is404()
    {
        using var admin = silo.Admin();

        using var response = await admin.PostAsync(
            "/api/v1/orgs/org-never-seen/rerate", """{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","prices":{}}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("org 'org-never-seen' not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static (string From, string To) Window(TestWorld world, DateTimeOffset from, DateTimeOffset to) =>
        (UsageEvents.Timestamp(from), UsageEvents.Timestamp(to));

    private static async Task<JsonNode> RerateAsync(TestWorld world, (string From, string To) window, string prices) =>
        await world.Admin.PostOkAsync(
            $"/api/v1/orgs/{world.OrgId}/rerate", $$$"""{"starting_at":"{{{window.From}}}","ending_at":"{{{window.To}}}","prices":{{{prices}}}}""");

    private static decimal Money(JsonNode? value) => decimal.Parse((string)value!, CultureInfo.InvariantCulture);
}
