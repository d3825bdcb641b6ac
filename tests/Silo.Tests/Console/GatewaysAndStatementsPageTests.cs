using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>The console's gateways and statements pages show the admin API's numbers.</summary>
public sealed class GatewaysAndStatementsPageTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Gateways_ShowTheApisAcceptedCount_AndFlagOneWithNoHeartbeat()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        var api = await world.GatewayDetailAsync();
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/gateways", session, page: true);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(1, (long)api["telemetry"]!["events_accepted"]!);
        Assert.Contains("<dd data-field=\"accepted\">1</dd>", html, StringComparison.Ordinal);
        // The fixture gateway posted telemetry but never a heartbeat.
        Assert.Contains("data-field=\"silent\">Silent: no heartbeat yet", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Statements_ShowTheApisTotals_AndTheJsonIsTheApisBody()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        using var admin = silo.Admin();
        var list = await admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/statements");
        var current = list["data"]!.AsArray()[^1]!;
        var period = (string)current["period"]!;
        using var apiBody = await admin.GetAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}");
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/statements", session, page: true);
        var html = await page.Content.ReadAsStringAsync();
        using var json = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/statements/{period}.json", session);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"<td data-field=\"total\">{BudgetCluster.Silo.Console.Money.Format((string)current["total_usd"]!)}</td>", html, StringComparison.Ordinal);
        // A new org's first statement has nothing late to adjust.
        Assert.Contains("<td data-field=\"adjustments\">none</td>", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(await apiBody.Content.ReadAsStringAsync(), await json.Content.ReadAsStringAsync());
    }
}
