using BudgetCluster.TestSupport;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Admin;

public sealed class AdminApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Theory]
    [InlineData(null, "missing admin token: send 'Authorization: Bearer <token>'")]
    [InlineData("wrong-token", "the admin token is not valid")]
    public async Task AdminCall_WithoutTheRightToken_Is401(string? token, string expectedStart)
    {
        using var admin = silo.Admin(token);

        using var response = await admin.GetAsync("/api/v1/orgs/anything");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith(expectedStart, detail, StringComparison.Ordinal);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("/API/v1/orgs/anything")]
    [InlineData("/Api/V1/environments/prod/gateway-certificates")]
    [InlineData("/DASHBOARD/DashboardCounters")]
    [InlineData("/Dashboard/")]
    [InlineData("/somewhere-new")]
    public async Task AnyPathButTheOpenOnes_WithoutAToken_Is401WhateverItsCase(string path)
    {
        using var anonymous = silo.Admin(null);

        using var get = await anonymous.GetAsync(path);
        using var post = await anonymous.PostAsync(path, "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
    }

    [Fact]
    public async Task Cookie_IsNotAcceptedOutsideTheDashboard()
    {
        using var browser = Browser();
        var session = await LoginAsync(browser);

        using var withSession = await GetWithCookieAsync(browser, "/api/v1/orgs/anything", session);
        using var withToken = await GetWithCookieAsync(browser, "/api/v1/orgs/anything", SiloFixture.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, withSession.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withToken.StatusCode);
    }

    [Fact]
    public async Task Login_WithTheToken_SetsASessionCookieThatIsNotTheToken_AndRefusesAWrongOne()
    {
        using var browser = Browser();

        using var form = await browser.GetAsync("/login");
        using var good = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", SiloFixture.Token)]));
        using var bad = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", "nope")]));

        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("/console", good.Headers.Location?.ToString());
        var cookie = good.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith("budgetcluster_admin=", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(SiloFixture.Token, cookie, StringComparison.Ordinal);
        Assert.Contains("max-age=43200", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", cookie + ";", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("That token is not valid.", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(bad.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task DashboardSession_OpensTheDashboard_ButNotTheToken_NorATamperedOne()
    {
        using var browser = Browser();
        var session = await LoginAsync(browser);
        var parts = session.Split('.');
        var longer = $"{long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) + 86_400}.{parts[1]}.{parts[2]}";

        Assert.Equal(HttpStatusCode.OK, await DashboardStatusAsync(browser, session));
        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardStatusAsync(browser, SiloFixture.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardStatusAsync(browser, longer));
        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardStatusAsync(browser, session[..^2]));
        using var forged = await GetWithCookieAsync(browser, "/dashboard/", longer);
        Assert.Equal(
            "the dashboard session is not valid or has expired: log in again at /login",
            await Http.ReadProblemAsync(forged, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task ApiReference_AtDocs_IsBehindTheSameLogin_AndServesItsScriptFromHere()
    {
        using var browser = Browser();
        using var page = new HttpRequestMessage(HttpMethod.Get, "/docs/");
        page.Headers.Add("Accept", "text/html");
        using var anonymous = await browser.SendAsync(page);
        var session = await LoginAsync(browser);

        using var withSession = await GetWithCookieAsync(browser, "/docs/", session);
        using var script = await GetWithCookieAsync(browser, "/docs/scalar.js", session);
        using var document = await silo.Admin(null).GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/login", anonymous.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, withSession.StatusCode);
        var html = await withSession.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"scalar.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        // No CDN: the page's script is served by the silo itself.
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }

    [Fact]
    public async Task Logout_RemovesTheCookie_AndABrowserWithoutASessionIsSentToTheLogin()
    {
        using var browser = Browser();
        await LoginAsync(browser);

        using var logout = await browser.PostAsync("/logout", null);
        using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        page.Headers.Add("Accept", "text/html,application/xhtml+xml");
        using var redirected = await browser.SendAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/login", logout.Headers.Location?.ToString());
        var cleared = logout.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith("budgetcluster_admin=;", cleared, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Equal("/login", redirected.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Login_BodyOver4KB_Is413_AndNotAForm_Is415_AndTheTokenStillLogsIn()
    {
        using var browser = Browser();

        using var large = await browser.PostAsync("/login", new FormUrlEncodedContent([new("token", new string('x', 5000))]));
        using var json = await browser.PostAsync("/login", new StringContent($$"""{"token":"{{SiloFixture.Token}}"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("The login form is larger than 4096 bytes.", await large.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Contains("Send the login form", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(large.Headers.Contains("Set-Cookie") || json.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpStatusCode.OK, await DashboardStatusAsync(browser, await LoginAsync(browser)));
    }

    [Fact]
    public async Task AdminCall_WithoutTheRightToken_ChangesNothing()
    {
        using var owner = silo.Admin();
        using var intruder = silo.Admin("wrong-token");
        var orgId = "org-" + Guid.NewGuid().ToString("N")[..8];
        await owner.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Original"}""");

        using var response = await intruder.PutAsync($"/api/v1/orgs/{orgId}", """{"name":"Hijacked"}""");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Original", (string)(await owner.GetOkAsync($"/api/v1/orgs/{orgId}"))["name"]!);
    }

    [Fact]
    public async Task Dashboard_RequiresTheToken_AndAcceptsItAsHeaderOrASessionCookie()
    {
        using var anonymous = silo.Admin(null);
        using var owner = silo.Admin();

        using var refused = await anonymous.GetAsync("/dashboard/");
        using var served = await owner.GetAsync("/dashboard/");
        using var browser = Browser();
        using var byCookie = await GetWithCookieAsync(browser, "/dashboard/", await LoginAsync(browser));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("Orleans Dashboard", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, byCookie.StatusCode);
    }

    [Fact]
    public async Task Healthz_AndOpenApi_NeedNoToken()
    {
        using var anonymous = silo.Admin(null);

        var health = await anonymous.GetOkAsync("/healthz");
        var openApi = await anonymous.GetOkAsync("/openapi/v1.json");

        Assert.Equal("ok", (string)health["status"]!);
        var paths = openApi["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/orgs/{org_id}", paths);
        Assert.Contains("/api/v1/environments/{environment_id}/gateway-certificates", paths);
        Assert.Contains("/api/v1/environments/{environment_id}/gateways/{dp_id}", paths);
        Assert.Contains("/api/v1/models/{model_id}", paths);
        Assert.Contains("/api/v1/api-keys/{api_key_id}", paths);
    }

    [Fact]
    public async Task PutOrg_IsAnIdempotentUpsert()
    {
        using var admin = silo.Admin();
        var orgId = NewId("org");

        var created = await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Acme"}""");
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Acme Inc","fail_mode":"open"}""");
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Acme Inc","fail_mode":"open"}""");
        var read = await admin.GetOkAsync($"/api/v1/orgs/{orgId}");

        Assert.Equal("sticky", (string)created["fail_mode"]!);
        Assert.Equal($$"""{"org_id":"{{orgId}}","name":"Acme Inc","fail_mode":"open","billing_time_zone":"UTC"}""", read.ToJsonString());
    }

    [Theory]
    [InlineData("""{"fail_mode":"open"}""", HttpStatusCode.BadRequest, "missing required field 'name'")]
    [InlineData("""{"name":"   "}""", HttpStatusCode.BadRequest, "missing required field 'name'")]
    [InlineData("""{"name":5}""", HttpStatusCode.BadRequest, "'name' must be a string")]
    [InlineData("""{"name":"A","fail_mode":"sometimes"}""", HttpStatusCode.BadRequest, "'fail_mode' must be one of sticky, open, closed (got 'sometimes')")]
    [InlineData("""{"name":"A",""", HttpStatusCode.BadRequest, "malformed JSON at line 1")]
    [InlineData("""[]""", HttpStatusCode.BadRequest, "expected a JSON object")]
    [InlineData("", HttpStatusCode.BadRequest, "a JSON object body is required")]
    public async Task PutOrg_BadBody_IsRejectedAndKeepsTheOrg(string body, HttpStatusCode status, string expectedStart)
    {
        using var admin = silo.Admin();
        var orgId = NewId("org");
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Kept","fail_mode":"closed"}""");

        using var response = await admin.PutAsync($"/api/v1/orgs/{orgId}", body);

        var detail = await Http.ReadProblemAsync(response, status);
        Assert.True(detail.StartsWith(expectedStart, StringComparison.Ordinal), detail);
        var org = await admin.GetOkAsync($"/api/v1/orgs/{orgId}");
        Assert.Equal("Kept", (string)org["name"]!);
        Assert.Equal("closed", (string)org["fail_mode"]!);
    }

    [Fact]
    public async Task PutOrg_OversizedBody_Is413()
    {
        using var admin = silo.Admin();

        using var response = await admin.PutAsync($"/api/v1/orgs/{NewId("org")}", "{\"name\":\"" + new string('a', 70_000) + "\"}");

        await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task PutOrg_WithoutJsonContentType_Is415WithAHint()
    {
        using var admin = silo.Admin();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/orgs/{NewId("org")}")
        {
            Content = new StringContent("""{"name":"A"}""", Encoding.UTF8, "text/plain"),
        };

        using var response = await admin.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("admin request bodies must be JSON: send 'Content-Type: application/json'", detail);
    }

    [Theory]
    [InlineData("has%20space")]
    [InlineData("-leading-dash")]
    [InlineData("%C3%A9t%C3%A9")]
    public async Task PutOrg_InvalidId_Is400(string id)
    {
        using var admin = silo.Admin();

        using var response = await admin.PutAsync($"/api/v1/orgs/{id}", """{"name":"A"}""");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("'org_id' must be 1-128 characters", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutOrg_IdWithATrailingNewline_Is400_AndTheOrgWithoutItKeepsItsName()
    {
        using var admin = silo.Admin();
        var id = "acme-" + Guid.NewGuid().ToString("N");
        await admin.PutOkAsync($"/api/v1/orgs/{id}", """{"name":"Acme"}""");

        using var response = await admin.PutAsync($"/api/v1/orgs/{id}%0A", """{"name":"Other"}""");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("'org_id' must be 1-128 characters", detail, StringComparison.Ordinal);
        Assert.Equal("Acme", (string)(await admin.GetOkAsync($"/api/v1/orgs/{id}"))["name"]!);
    }

    [Theory]
    [InlineData("/api/v1/orgs/{0}", "org '{0}' not found")]
    [InlineData("/api/v1/environments/{0}", "environment '{0}' not found")]
    [InlineData("/api/v1/models/{0}", "model '{0}' not found")]
    [InlineData("/api/v1/api-keys/{0}", "api key '{0}' not found")]
    [InlineData("/api/v1/environments/{0}/gateways", "environment '{0}' not found")]
    [InlineData("/api/v1/environments/{0}/gateways/dp-1", "environment '{0}' not found")]
    public async Task Get_UnknownId_Is404(string pathFormat, string messageFormat)
    {
        using var admin = silo.Admin();
        var id = NewId("nope");

        using var response = await admin.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, id));

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, messageFormat, id), detail);
    }

    [Fact]
    public async Task PutEnvironment_UnknownOrg_Is404()
    {
        using var admin = silo.Admin();

        using var response = await admin.PutAsync($"/api/v1/environments/{NewId("env")}", """{"org_id":"org-missing","name":"E"}""");

        Assert.Equal("org 'org-missing' not found", await Http.ReadProblemAsync(response, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task PutEnvironment_MoveToAnotherOrg_Is409AndKeepsIt()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();

        using var response = await world.Admin.PutAsync($"/api/v1/environments/{world.EnvironmentId}", $$"""{"org_id":"{{other.OrgId}}","name":"Moved"}""");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal($"environment '{world.EnvironmentId}' belongs to org '{world.OrgId}' and cannot move to org '{other.OrgId}'", detail);
        var environment = await world.Admin.GetOkAsync($"/api/v1/environments/{world.EnvironmentId}");
        Assert.Equal(world.OrgId, (string)environment["org_id"]!);
        Assert.Equal("Production", (string)environment["name"]!);
    }

    [Theory]
    [InlineData("""{"environment_id":"ENV","name":"m"}""", "missing required field 'pricing'")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":{"output_per_mtok":1}}""", "missing required field 'pricing.input_per_mtok'")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":{"input_per_mtok":1}}""", "missing required field 'pricing.output_per_mtok'")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":{"input_per_mtok":-1,"output_per_mtok":1}}""", "'pricing.input_per_mtok' must be from 0 to 1000000")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":{"input_per_mtok":"cheap","output_per_mtok":1}}""", "'pricing.input_per_mtok' must be a non-negative number or numeric string")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":{"input_per_mtok":1,"output_per_mtok":1,"cache_read_per_mtok":true}}""", "'pricing.cache_read_per_mtok' must be a non-negative number or numeric string")]
    [InlineData("""{"environment_id":"ENV","name":"m","pricing":[1]}""", "'pricing' must be an object")]
    [InlineData("""{"name":"m","pricing":{"input_per_mtok":1,"output_per_mtok":1}}""", "missing required field 'environment_id'")]
    [InlineData("""{"environment_id":"ENV","pricing":{"input_per_mtok":1,"output_per_mtok":1}}""", "missing required field 'name'")]
    public async Task PutModel_BadBody_Is400AndKeepsThePricing(string template, string expected)
    {
        using var world = await silo.OnboardAsync();
        var modelId = $"m-gpt-4o-{world.Suffix}";

        using var response = await world.Admin.PutAsync($"/api/v1/models/{modelId}", template.Replace("ENV", world.EnvironmentId, StringComparison.Ordinal));

        Assert.Equal(expected, await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest));
        var model = await world.Admin.GetOkAsync($"/api/v1/models/{modelId}");
        Assert.Equal("2.50", (string)model["pricing"]!["input_per_mtok"]!);
        Assert.Equal("1.25", (string)model["pricing"]!["cached_input_per_mtok"]!);
    }

    [Fact]
    public async Task PutModel_UnknownEnvironment_Is404()
    {
        using var admin = silo.Admin();

        using var response = await admin.PutAsync($"/api/v1/models/{NewId("m")}",
            """{"environment_id":"env-missing","name":"m","pricing":{"input_per_mtok":1,"output_per_mtok":1}}""");

        Assert.Equal("environment 'env-missing' not found", await Http.ReadProblemAsync(response, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task PutApiKey_StoresBindingsAndRejectsUnknownEnvironment()
    {
        using var world = await silo.OnboardAsync();
        var keyId = NewId("k");

        var stored = await world.Admin.PutOkAsync($"/api/v1/api-keys/{keyId}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"team-a","user_id":"u-1"}""");
        using var bad = await world.Admin.PutAsync($"/api/v1/api-keys/{keyId}", """{"environment_id":"env-missing"}""");
        using var badTeam = await world.Admin.PutAsync($"/api/v1/api-keys/{keyId}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"bad team"}""");

        Assert.Equal($$"""{"api_key_id":"{{keyId}}","environment_id":"{{world.EnvironmentId}}","team_id":"team-a","user_id":"u-1"}""", stored.ToJsonString());
        Assert.Equal("environment 'env-missing' not found", await Http.ReadProblemAsync(bad, HttpStatusCode.NotFound));
        Assert.StartsWith("'team_id' must be", await Http.ReadProblemAsync(badTeam, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Equal("team-a", (string)(await world.Admin.GetOkAsync($"/api/v1/api-keys/{keyId}"))["team_id"]!);
    }

    [Fact]
    public async Task IssueCertificate_WithoutDpId_GeneratesOneAndTheCertificateCarriesBothSans()
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Admin.PostAsync($"/api/v1/environments/{world.EnvironmentId}/gateway-certificates", "");
        var issued = await Http.ReadOkAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dpId = (string)issued["dp_id"]!;
        Assert.StartsWith("dp-", dpId, StringComparison.Ordinal);
        using var certificate = X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!);
        var san = certificate.Extensions["2.5.29.17"]!.Format(false);
        Assert.Contains($"x-aisix://env/{world.EnvironmentId}", san, StringComparison.Ordinal);
        Assert.Contains($"x-aisix://dp/{dpId}", san, StringComparison.Ordinal);
        var expires = DateTimeOffset.Parse((string)issued["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, TestClock.Now.AddDays(360), TestClock.Now.AddDays(366));
        var listed = await world.Admin.GetOkAsync($"/api/v1/environments/{world.EnvironmentId}/gateways");
        Assert.Contains(dpId, listed.AsArray().Select(g => (string)g!["dp_id"]!));
    }

    [Fact]
    public async Task IssueCertificate_UnknownEnvironmentOrBadDpId_IsRefused()
    {
        using var world = await silo.OnboardAsync();

        using var unknown = await world.Admin.PostAsync("/api/v1/environments/env-missing/gateway-certificates", "{}");
        using var badDp = await world.Admin.PostAsync($"/api/v1/environments/{world.EnvironmentId}/gateway-certificates", """{"dp_id":"dp/evil"}""");

        Assert.Equal("environment 'env-missing' not found", await Http.ReadProblemAsync(unknown, HttpStatusCode.NotFound));
        Assert.StartsWith("'dp_id' must be 1-128 characters", await Http.ReadProblemAsync(badDp, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayDetail_UnknownGatewayOfAKnownEnvironment_Is404()
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Admin.GetAsync($"/api/v1/environments/{world.EnvironmentId}/gateways/dp-ghost");

        Assert.Equal($"gateway 'dp-ghost' not found in environment '{world.EnvironmentId}'", await Http.ReadProblemAsync(response, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task GatewayList_ShowsEachGatewayWithItsTotals()
    {
        using var world = await silo.OnboardAsync();
        using var second = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-2");
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        await second.PostTelemetryOkAsync(world.Fixture("legacy-v06-latency-names.json"));

        var list = (await world.Admin.GetOkAsync($"/api/v1/environments/{world.EnvironmentId}/gateways")).AsArray();

        Assert.Equal(["dp-east-1", "dp-west-2"], list.Select(g => (string)g!["dp_id"]!));
        Assert.Equal("0.0048075", (string)list[0]!["usage"]!["spend_usd"]!);
        Assert.Equal("0.00245", (string)list[1]!["usage"]!["spend_usd"]!);
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    private HttpClient Browser() => BrowserSession.Open(silo.AdminUri);

    private static Task<string> LoginAsync(HttpClient browser) => BrowserSession.LoginAsync(browser);

    private static async Task<HttpStatusCode> DashboardStatusAsync(HttpClient browser, string cookie)
    {
        using var response = await GetWithCookieAsync(browser, "/dashboard/", cookie);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> GetWithCookieAsync(HttpClient browser, string path, string cookie) =>
        BrowserSession.GetWithCookieAsync(browser, path, cookie);
}
