using System.Net;
using System.Text.RegularExpressions;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>Budgets created, edited and deleted through the console's form, judged by the admin API's own rules.</summary>
public sealed partial class BudgetFormTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Create_WithABadLimit_ShowsTheApisMessageNextToTheField_ThenAGoodOneCreatesIt()
    {
        using var world = await silo.OnboardAsync();
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);
        var form = $"/console/orgs/{world.OrgId}/budgets/new";

        var refused = await PostAsync(browser, session, form, Fields(world.OrgId, limit: "-5"));
        var budgetsBefore = await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}");
        var created = await PostAsync(browser, session, form, Fields(world.OrgId, limit: "12.50"));
        var budgets = (await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray();

        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Contains("data-error-for=\"limit_usd\">&#x27;limit_usd&#x27; must be greater than 0", refused.Html, StringComparison.Ordinal);
        Assert.Contains("name=\"Form.LimitUsd\" class=\"valid\" value=\"-5\"", refused.Html, StringComparison.Ordinal);
        Assert.Empty(budgetsBefore.AsArray());
        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        var budget = Assert.Single(budgets)!;
        Assert.Equal("12.50", (string)budget["limit_usd"]!);
        Assert.Equal("web", (string)budget["name"]!);
        Assert.Equal("[0.5,0.8]", budget["thresholds"]!.ToJsonString());
    }

    [Fact]
    public async Task Edit_ChangesTheLimitAndMode_AndDelete_RemovesIt()
    {
        using var world = await silo.OnboardAsync();
        var budgetId = (string)(await world.Admin.PostOkAsync("/api/v1/budgets", $$"""
            {"org_id":"{{world.OrgId}}","name":"web","scope":{"type":"org","ref":"{{world.OrgId}}"},"limit_usd":"1","period":"month","mode":"hard_stop"}
            """))["id"]!;
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);
        var edit = $"/console/orgs/{world.OrgId}/budgets/{budgetId}/edit";

        var saved = await PostAsync(browser, session, edit, Fields(world.OrgId, limit: "3.00", mode: "warn_only"));
        var after = await world.Admin.GetOkAsync($"/api/v1/budgets/{budgetId}");
        var deleted = await PostAsync(browser, session, edit, [new("_handler", "delete"), new("confirm", "yes")]);
        using var gone = await world.Admin.GetAsync($"/api/v1/budgets/{budgetId}");

        Assert.Equal(HttpStatusCode.Redirect, saved.Status);
        Assert.Equal("3.00", (string)after["limit_usd"]!);
        Assert.Equal("warn_only", (string)after["mode"]!);
        Assert.Equal(HttpStatusCode.Redirect, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task APostWithoutTheFormsAntiforgeryToken_IsRefused_AndChangesNothing()
    {
        using var world = await silo.OnboardAsync();
        using var browser = BrowserSession.Open(silo.AdminUri);
        var session = await BrowserSession.LoginAsync(browser);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/console/orgs/{world.OrgId}/budgets/new")
        {
            Content = new FormUrlEncodedContent(Fields(world.OrgId, limit: "5")),
        };
        request.Headers.Add("Cookie", $"budgetcluster_admin={session}");

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty((await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray());
    }

    private static List<KeyValuePair<string, string>> Fields(string orgId, string limit, string mode = "hard_stop") =>
    [
        new("_handler", "budget"),
        new("Form.Name", "web"),
        new("Form.ScopeType", "org"),
        new("Form.ScopeRef", orgId),
        new("Form.LimitUsd", limit),
        new("Form.Period", "month"),
        new("Form.Mode", mode),
        new("Form.Timezone", "UTC"),
        new("Form.Thresholds", "0.5, 0.8"),
    ];

    /// <summary>GETs the form (its antiforgery cookie and token), then posts the fields with them, as a browser would.</summary>
    private static async Task<(HttpStatusCode Status, string Html)> PostAsync(HttpClient browser, string session, string path, List<KeyValuePair<string, string>> fields)
    {
        using var page = await BrowserSession.GetWithCookieAsync(browser, path, session, page: true);
        var html = await page.Content.ReadAsStringAsync();
        var antiforgery = page.Headers.GetValues("Set-Cookie").Single(cookie => cookie.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent([.. fields, new("__RequestVerificationToken", Token().Match(html).Groups[1].Value)]),
        };
        request.Headers.Add("Cookie", $"budgetcluster_admin={session}; {antiforgery[..antiforgery.IndexOf(';', StringComparison.Ordinal)]}");
        request.Headers.Add("Accept", "text/html");
        using var response = await browser.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
