using System.Net;
using System.Text.RegularExpressions;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>The console's budgets page shows the numbers the admin API answers, as money with the currency.</summary>
public sealed partial class BudgetsPageTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task EachBudget_ShowsTheApisSpentAndLimit_AsMoney_AndItsResetInItsZone()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        using var world = await silo.OnboardAsync();
        using var admin = silo.Admin();
        await admin.PutOkAsync($"/api/v1/api-keys/k-{world.Suffix}", $$"""{"environment_id":"{{world.EnvironmentId}}"}""");
        var budgetId = (string)(await admin.PostOkAsync("/api/v1/budgets", $$"""
            {"org_id":"{{world.OrgId}}","name":"frontend","scope":{"type":"org","ref":"{{world.OrgId}}"},"limit_usd":"2.50","period":"month","mode":"warn_only","timezone":"Europe/Berlin"}
            """))["id"]!;
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("console-" + world.Suffix, apiKeyId: $"k-{world.Suffix}", cost: "0.40")]));
        var status = await admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, $"/console/orgs/{world.OrgId}/budgets", session, page: true);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var card = Card(html, budgetId);
        Assert.Equal("0.40", (string)status["spent_usd"]!);
        Assert.Contains("<dd data-field=\"spent\">$0.40 USD</dd>", card, StringComparison.Ordinal);
        Assert.Contains("<dd data-field=\"limit\">$2.50 USD per month</dd>", card, StringComparison.Ordinal);
        Assert.Contains("value=\"0.40\"", card, StringComparison.Ordinal);
        Assert.Contains("Europe/Berlin", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownOrg_IsSaidSo()
    {
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);

        using var page = await BrowserSession.GetWithCookieAsync(browser, "/console/orgs/no-such-org/budgets", session, page: true);

        Assert.Contains("Organization &#x27;no-such-org&#x27; not found.", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string Card(string html, string budgetId)
    {
        var match = CardPattern().Matches(html).SingleOrDefault(m => m.Value.Contains($"data-budget-id=\"{budgetId}\"", StringComparison.Ordinal));
        Assert.True(match is not null, $"no card for {budgetId} in:\n{html}");
        return match.Value;
    }

    [GeneratedRegex("<section class=\"card\".*?</section>", RegexOptions.Singleline)]
    private static partial Regex CardPattern();
}
