using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>The console's usage page: the usage API's numbers, charted on the server, with the API's CSV.</summary>
public sealed partial class UsagePageTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task ThisMonth_ShowsTheApisSpend_DrawsBothCharts_AndLinksTheApisCsv()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        using var world = await silo.OnboardAsync();
        using var admin = silo.Admin();
        await admin.PutOkAsync($"/api/v1/api-keys/k-{world.Suffix}", $$"""{"environment_id":"{{world.EnvironmentId}}"}""");
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([
            UsageEvents.Event("u1-" + world.Suffix, apiKeyId: $"k-{world.Suffix}", cost: "0.25"),
            UsageEvents.Event("u2-" + world.Suffix, apiKeyId: $"k-{world.Suffix}", cost: "0.125"),
        ]));
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/usage?range=month&by=model&zone=Europe/Berlin", session, page: true);
        var html = await page.Content.ReadAsStringAsync();
        var csvPath = WebUtility.HtmlDecode(CsvLink().Match(html).Groups[1].Value);
        using var csv = await BrowserSession.GetWithCookieAsync(browser, csvPath, session);
        var api = await admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/usage?{csvPath[(csvPath.IndexOf('?', StringComparison.Ordinal) + 1)..]}");
        using var apiCsvRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orgs/{world.OrgId}/usage?{csvPath[(csvPath.IndexOf('?', StringComparison.Ordinal) + 1)..]}");
        apiCsvRequest.Headers.Add("Accept", "text/csv");
        using var apiCsv = await admin.SendAsync(apiCsvRequest);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var apiTotal = api["data"]!.AsArray().SelectMany(bucket => bucket!["results"]!.AsArray())
            .Sum(result => decimal.Parse((string)result!["spend_usd"]!, CultureInfo.InvariantCulture));
        Assert.Equal(0.375m, apiTotal);
        Assert.Contains("<p data-field=\"total-spend\">Total spend: $0.375 USD</p>", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(html, "<svg "));
        Assert.Contains("data-chart=\"spend\"", html, StringComparison.Ordinal);
        Assert.Contains("<td>(none)</td>", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await apiCsv.Content.ReadAsStringAsync(), await csv.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ACustomRange_CountsItsDaysOnly_AndAReversedOneShowsTheApisRefusal()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        using var world = await silo.OnboardAsync();
        await world.Admin.PutOkAsync($"/api/v1/api-keys/k-{world.Suffix}", $$"""{"environment_id":"{{world.EnvironmentId}}"}""");
        var today = DateOnly.FromDateTime(TestClock.Now.UtcDateTime);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([
            UsageEvents.Event("c1-" + world.Suffix, apiKeyId: $"k-{world.Suffix}", cost: "0.50"),
            UsageEvents.Event("c2-" + world.Suffix, occurredAt: TestClock.Now.AddDays(-3), apiKeyId: $"k-{world.Suffix}", cost: "0.25"),
        ]));
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);
        var days = $"/console/orgs/{world.OrgId}/usage?range=custom&zone=UTC&by=model";

        using var lastTwoDays = await BrowserSession.GetWithCookieAsync(browser, $"{days}&from={today.AddDays(-1):yyyy-MM-dd}&to={today:yyyy-MM-dd}", session, page: true);
        using var lastWeek = await BrowserSession.GetWithCookieAsync(browser, $"{days}&from={today.AddDays(-6):yyyy-MM-dd}&to={today:yyyy-MM-dd}", session, page: true);
        using var reversed = await BrowserSession.GetWithCookieAsync(browser, $"{days}&from={today:yyyy-MM-dd}&to={today.AddDays(-2):yyyy-MM-dd}", session, page: true);

        Assert.Contains("Total spend: $0.50 USD", await lastTwoDays.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Total spend: $0.75 USD", await lastWeek.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("&#x27;ending_at&#x27;", await reversed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownZone_IsSaidSo_AndNothingIsDrawn()
    {
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, "/console/orgs/any/usage?zone=Mars/Olympus", session, page: true);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Contains("&#x27;Mars/Olympus&#x27; is not an IANA time zone", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("href=\"(/console/orgs/[^\"]+/usage\\.csv\\?[^\"]+)\"")]
    private static partial Regex CsvLink();
}
