using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Billing;

/// <summary>A silo whose clock the test moves past a month's end; statements close an hour after it, checked every 200 ms.</summary>
public sealed class StatementClockFixture : MovableClockSiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Billing:CloseAfter=01:00:00", "--Billing:CloseCheckInterval=00:00:00.200"];
}

/// <summary>API.md §8 through a real silo: a month's statement closes by itself, never changes again, and late events show as adjustments.</summary>
public sealed class StatementCloseTests(StatementClockFixture silo) : IClassFixture<StatementClockFixture>
{
    [Fact]
    public async Task Statement_ClosedByItself_StaysByteIdentical_AndLateEventsAreTheNextOnesAdjustments()
    {
        using var world = await silo.OnboardAsync();
        var (gpt, claude) = ($"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}");
        var month = StatementPeriod.Containing(silo.Clock.GetUtcNow(), TimeZoneInfo.Utc);
        var end = month.Window(TimeZoneInfo.Utc).End;
        var next = month.Next;
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(
        [
            Event("a", silo.Clock.GetUtcNow(), gpt, "0.10"),
            Event("b", silo.Clock.GetUtcNow(), gpt, "0.10"),
            Event("c", silo.Clock.GetUtcNow(), claude, "0.25"),
        ]));

        var open = await StatementAsync(world, month);
        using var early = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{month}/close", "");

        Assert.Equal("open", (string)open["status"]!);
        Assert.Equal(
            [(world.EnvironmentId, claude, "pk-anthropic", 1L, "0.25"), (world.EnvironmentId, gpt, null, 2L, "0.20")],
            Lines(open));
        Assert.Equal("0.45", (string)open["total_usd"]!);
        Assert.Null(open["content_sha256"]);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains($"the period {month} has not ended", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An hour and a bit past the month's end: the statement closes by itself.
        silo.Clock.Advance(end - silo.Clock.GetUtcNow() + TimeSpan.FromMinutes(70));
        var closedBody = await ClosedBodyAsync(world, month);
        var late = UsageEvents.Body([Event("late-gpt", end.AddMinutes(-1), gpt, "0.05"), Event("late-claude", end.AddSeconds(-1), claude, "0.07")]);
        await world.Gateway.PostTelemetryOkAsync(late);
        await world.Gateway.PostTelemetryOkAsync(late);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([Event("d", silo.Clock.GetUtcNow(), gpt, "0.30")]));

        var closedAgain = await BodyAsync(world, month);
        var current = await StatementAsync(world, next);
        using var closeAgain = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{month}/close", "");
        using var closeCurrent = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{next}/close", "");
        var list = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/statements");

        var closed = JsonNode.Parse(closedBody)!;
        Assert.Equal("closed", (string)closed["status"]!);
        Assert.Equal("0.45", (string)closed["total_usd"]!);
        Assert.Equal(Lines(open), Lines(closed));
        var hash = (string)closed["content_sha256"]!;
        var unhashed = Encoding.UTF8.GetString(closedBody).Replace($"\"{hash}\"", "null", StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(unhashed))), hash);
        Assert.Equal(closedBody, closedAgain);
        Assert.Equal(closedBody, await closeAgain.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Conflict, closeCurrent.StatusCode);

        Assert.Equal([(world.EnvironmentId, gpt, null, 1L, "0.30")], Lines(current));
        Assert.Equal(
            [(month.ToString(), world.EnvironmentId, claude, 1L, "0.07"), (month.ToString(), world.EnvironmentId, gpt, 1L, "0.05")],
            current["adjustments"]!.AsArray().Select(a =>
                ((string)a!["period"]!, (string)a["environment_id"]!, (string)a["model_id"]!, (long)a["attempts"]!, (string)a["spend_usd"]!)));
        Assert.Equal("0.42", (string)current["total_usd"]!);
        Assert.Equal(closed["ending_at"]!.ToString(), (string)current["starting_at"]!);

        // The closed total plus the later adjustments is the ledger's spend for the month.
        Assert.Equal(0.45m + 0.12m, await UsageSpendAsync(world, month));
        // The months before (from 35 days before the org's creation) closed by themselves, empty.
        var statements = list["data"]!.AsArray();
        Assert.Equal(
            [(month.ToString(), "closed", hash), (next.ToString(), "open", null)],
            statements.TakeLast(2).Select(s => ((string)s!["period"]!, (string)s["status"]!, (string?)s["content_sha256"])));
        Assert.All(statements.SkipLast(2), s => Assert.Equal(("closed", "0.00"), ((string)s!["status"]!, (string)s["total_usd"]!)));
        Assert.Equal("0.42", (string)statements[^1]!["total_usd"]!);

        // The console shows the same: the current month's adjustments for the closed one.
        using var browser = BrowserSession.Open(silo.AdminUri);
        using var page = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/statements", await BrowserSession.LoginAsync(browser), page: true);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"<tr data-period=\"{next}\">", html, StringComparison.Ordinal);
        Assert.Contains($"<td data-field=\"adjustments\">2 for {month}: $0.12 USD</td>", html, StringComparison.Ordinal);
    }

    private static JsonObject Event(string id, DateTimeOffset at, string model, string cost) =>
        UsageEvents.Event(id, at, model, apiKeyId: "k-1", cost: cost);

    private static IEnumerable<(string, string, string?, long, string)> Lines(JsonNode statement) =>
        statement["lines"]!.AsArray().Select(line => (
            (string)line!["environment_id"]!, (string)line["model_id"]!, (string?)line["provider_key_id"], (long)line["attempts"]!, (string)line["spend_usd"]!));

    internal static async Task<JsonNode> StatementAsync(TestWorld world, StatementPeriod period) =>
        JsonNode.Parse(await BodyAsync(world, period))!;

    internal static async Task<byte[]> BodyAsync(TestWorld world, StatementPeriod period)
    {
        using var response = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    internal static async Task<byte[]> ClosedBodyAsync(TestWorld world, StatementPeriod period)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var body = await BodyAsync(world, period);
            if ((string?)JsonNode.Parse(body)!["status"] == "closed")
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the statement of {period} did not close by itself");
            await Task.Delay(100);
        }
    }

    internal static async Task<decimal> UsageSpendAsync(TestWorld world, StatementPeriod period)
    {
        var window = period.Window(TimeZoneInfo.Utc);
        var view = await world.Admin.GetOkAsync(
            $"/api/v1/orgs/{world.OrgId}/usage?starting_at={UsageEvents.Timestamp(window.Start)}&ending_at={UsageEvents.Timestamp(window.End)}&bucket_width=1mo");
        return view["data"]!.AsArray().SelectMany(bucket => bucket!["results"]!.AsArray())
            .Sum(result => decimal.Parse((string)result!["spend_usd"]!, CultureInfo.InvariantCulture));
    }
}
