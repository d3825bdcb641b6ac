using System.Net;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>A browser as the admin listener sees one: no redirects followed, the session cookie sent by hand.</summary>
public static class BrowserSession
{
    public static HttpClient Open(Uri admin) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }, disposeHandler: true) { BaseAddress = admin };

    /// <summary>Logs in with the token; the session the cookie holds.</summary>
    public static async Task<string> LoginAsync(HttpClient browser)
    {
        ArgumentNullException.ThrowIfNull(browser);
        using var login = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", SiloFixture.Token)]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        return cookie["budgetcluster_admin=".Length..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    /// <summary>GET <paramref name="path"/> with <paramref name="cookie"/> as the session cookie; <paramref name="page"/>: asking for HTML, as a browser does.</summary>
    public static async Task<HttpResponseMessage> GetWithCookieAsync(HttpClient browser, string path, string cookie, bool page = false)
    {
        ArgumentNullException.ThrowIfNull(browser);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", $"budgetcluster_admin={cookie}");
        if (page)
        {
            request.Headers.Add("Accept", "text/html");
        }

        return await browser.SendAsync(request);
    }
}
