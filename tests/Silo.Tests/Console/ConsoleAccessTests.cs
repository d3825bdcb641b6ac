using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Console;

/// <summary>The console is behind the dashboard's login: a session cookie opens it, nothing else a browser could carry does.</summary>
public sealed class ConsoleAccessTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Theory]
    [InlineData("/console")]
    [InlineData("/console/orgs/acme/budgets")]
    [InlineData("/CONSOLE/orgs/acme/budgets")]
    public async Task WithoutASession_EveryConsolePage_SendsABrowserToTheLogin(string path)
    {
        using var browser = BrowserSession.Open(silo.AdminUri);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Accept", "text/html");

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task TheRoot_SendsToTheConsole_AndTheLoginLeadsThere()
    {
        using var browser = BrowserSession.Open(silo.AdminUri);

        using var root = await browser.GetAsync("/");
        var session = await BrowserSession.LoginAsync(browser);
        using var console = await BrowserSession.GetWithCookieAsync(browser, "/console", session, page: true);

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/console", root.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        Assert.Contains("<h1>Organizations</h1>", await console.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApiToken_InACookieOrTheQueryString_IsNeverAccepted()
    {
        using var browser = BrowserSession.Open(silo.AdminUri);

        using var tokenAsCookie = await BrowserSession.GetWithCookieAsync(browser, "/console", SiloFixture.Token, page: true);
        using var queryRequest = new HttpRequestMessage(HttpMethod.Get, "/console?access_token=" + Uri.EscapeDataString(SiloFixture.Token));
        queryRequest.Headers.Add("Accept", "text/html");
        using var tokenInQuery = await browser.SendAsync(queryRequest);

        Assert.Equal(HttpStatusCode.Redirect, tokenAsCookie.StatusCode);
        Assert.Equal("/login", tokenAsCookie.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Redirect, tokenInQuery.StatusCode);
        Assert.Equal("/login", tokenInQuery.Headers.Location?.ToString());
    }
}
