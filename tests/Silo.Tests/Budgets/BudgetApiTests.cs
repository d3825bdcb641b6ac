using BudgetCluster.TestSupport;
using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Budgets;

public sealed class BudgetApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task CreateGetListReplaceDelete_RoundTrip()
    {
        using var world = await silo.OnboardAsync();

        using var created = await world.Admin.PostAsync("/api/v1/budgets", Body(world, limit: "10.00"));
        var budget = await Http.ReadOkAsync(created);
        var id = (string)budget["id"]!;
        var read = await world.Admin.GetOkAsync($"/api/v1/budgets/{id}");
        var list = await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}");
        var replaced = await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", Body(world, limit: "25", mode: "warn_only", thresholds: "[0.5, 0.9]"));
        using var deleted = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}"));
        using var gone = await world.Admin.GetAsync($"/api/v1/budgets/{id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("b-", id, StringComparison.Ordinal);
        Assert.Equal(
            $$"""{"id":"{{id}}","org_id":"{{world.OrgId}}","name":"monthly","scope":{"type":"org","ref":"{{world.OrgId}}"},"limit_usd":"10.00","period":"month","mode":"hard_stop","timezone":"UTC","thresholds":[0.8]}""",
            read.ToJsonString());
        Assert.Equal(id, (string)list.AsArray().Single()!["id"]!);
        Assert.Equal("25.00", (string)replaced["limit_usd"]!);
        Assert.Equal("warn_only", (string)replaced["mode"]!);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal($"budget '{id}' not found", await Http.ReadProblemAsync(gone, HttpStatusCode.NotFound));
        Assert.Empty((await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray());
    }

    [Fact]
    public async Task Status_NewBudget_IsOkWithTheCurrentCalendarPeriod()
    {
        using var world = await silo.OnboardAsync();
        var id = await CreateAsync(world, Body(world, period: "day", timezone: "Pacific/Auckland"));

        var status = await world.Admin.GetOkAsync($"/api/v1/budgets/{id}/status");

        Assert.Equal("ok", (string)status["state"]!);
        Assert.False((bool)status["blocking"]!);
        Assert.Equal("0.00", (string)status["spent_usd"]!);
        Assert.Equal("10.00", (string)status["remaining_usd"]!);
        var start = DateTimeOffset.Parse((string)status["period_start"]!, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse((string)status["period_resets_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(TestClock.Now, start, end);
        Assert.InRange((end - start).TotalHours, 23, 25);
        var auckland = TimeZoneInfo.ConvertTime(start, TimeZoneInfo.FindSystemTimeZoneById("Pacific/Auckland"));
        Assert.Equal(TimeSpan.Zero, auckland.TimeOfDay);
    }

    [Theory]
    [InlineData("""{"name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop"}""", "missing required field 'org_id'")]
    [InlineData("""{"org_id":"ORG","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop"}""", "missing required field 'name'")]
    [InlineData("""{"org_id":"ORG","name":"n","limit_usd":1,"period":"month","mode":"hard_stop"}""", "missing required field 'scope'")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"galaxy","ref":"x"},"limit_usd":1,"period":"month","mode":"hard_stop"}""", "'scope.type' must be one of org, environment, api_key, provider_key, team, member (got 'galaxy')")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"team"},"limit_usd":1,"period":"month","mode":"hard_stop"}""", "missing required field 'scope.ref'")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"period":"month","mode":"hard_stop"}""", "missing required field 'limit_usd'")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":0,"period":"month","mode":"hard_stop"}""", "'limit_usd' must be greater than 0 and at most 1000000000000 (got 0)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":"-5","period":"month","mode":"hard_stop"}""", "'limit_usd' must be greater than 0 and at most 1000000000000 (got -5)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":"ten","period":"month","mode":"hard_stop"}""", "'limit_usd' must be a number or numeric string greater than 0 and at most 1000000000000")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1e30,"period":"month","mode":"hard_stop"}""", "'limit_usd' must be a number or numeric string greater than 0 and at most 1000000000000")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":["x"]}""", "'thresholds[0]' must be a number or numeric string: a fraction in (0, 1]")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","timezone":"Pacific Standard Time"}""", "'timezone' must be an IANA time zone such as Europe/London or UTC (got 'Pacific Standard Time')")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"year","mode":"hard_stop"}""", "'period' must be one of day, week, month (got 'year')")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"soft"}""", "'mode' must be one of hard_stop, warn_only (got 'soft')")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","timezone":"Mars/Olympus"}""", "'timezone' must be an IANA time zone such as Europe/London or UTC (got 'Mars/Olympus')")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":[0]}""", "'thresholds[0]' must be a fraction of the limit in (0, 1] (got 0)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":[0.5,1.5]}""", "'thresholds[1]' must be a fraction of the limit in (0, 1] (got 1.5)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":[0.9,0.5]}""", "'thresholds' must be strictly increasing (0.9 then 0.5)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":[0.5,0.5]}""", "'thresholds' must be strictly increasing (0.5 then 0.5)")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"ORG"},"limit_usd":1,"period":"month","mode":"hard_stop","thresholds":"0.8"}""", "'thresholds' must be an array of fractions in (0, 1]")]
    [InlineData("""{"org_id":"ORG","name":"n","scope":{"type":"org","ref":"other-org"},"limit_usd":1,"period":"month","mode":"hard_stop"}""", "'scope.ref' of an org budget must be its org_id 'ORG' (got 'other-org')")]
    public async Task Create_InvalidBody_Is400NamingTheRuleAndCreatesNothing(string template, string expected)
    {
        using var world = await silo.OnboardAsync();
        var kept = await CreateAsync(world, Body(world));

        using var response = await world.Admin.PostAsync("/api/v1/budgets", template.Replace("ORG", world.OrgId, StringComparison.Ordinal));

        Assert.Equal(expected.Replace("ORG", world.OrgId, StringComparison.Ordinal), await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest));
        var list = (await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray();
        Assert.Equal([kept], list.Select(b => (string)b!["id"]!));
    }

    [Fact]
    public async Task Create_UnknownOrgOrEnvironment_Is404_AndForeignEnvironmentIs400()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();

        using var unknownOrg = await world.Admin.PostAsync("/api/v1/budgets", Body(world).Replace($"\"org_id\":\"{world.OrgId}\"", "\"org_id\":\"org-missing\"", StringComparison.Ordinal));
        using var unknownEnv = await world.Admin.PostAsync("/api/v1/budgets", Body(world, scope: "environment", reference: "env-missing"));
        using var foreignEnv = await world.Admin.PostAsync("/api/v1/budgets", Body(world, scope: "environment", reference: other.EnvironmentId));

        Assert.Equal("org 'org-missing' not found", await Http.ReadProblemAsync(unknownOrg, HttpStatusCode.NotFound));
        Assert.Equal("environment 'env-missing' not found", await Http.ReadProblemAsync(unknownEnv, HttpStatusCode.NotFound));
        Assert.Equal($"environment '{other.EnvironmentId}' belongs to org '{other.OrgId}', not '{world.OrgId}'",
            await Http.ReadProblemAsync(foreignEnv, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Create_WithAnIanaZoneWithoutASlash_IsAccepted()
    {
        using var world = await silo.OnboardAsync();

        var id = await CreateAsync(world, Body(world, timezone: "EST5EDT"));

        Assert.Equal("EST5EDT", (string)(await world.Admin.GetOkAsync($"/api/v1/budgets/{id}"))["timezone"]!);
    }

    [Fact]
    public async Task Delete_Twice_IsNoContentThen404()
    {
        using var world = await silo.OnboardAsync();
        var id = await CreateAsync(world, Body(world));

        using var first = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}"));
        using var second = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}"));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal($"budget '{id}' not found", await Http.ReadProblemAsync(second, HttpStatusCode.NotFound));
        Assert.Empty((await world.Admin.GetOkAsync($"/api/v1/budgets?org_id={world.OrgId}")).AsArray());
    }

    [Fact]
    public async Task ReplaceDeleteStatus_UnknownBudget_Is404()
    {
        using var world = await silo.OnboardAsync();

        using var put = await world.Admin.PutAsync("/api/v1/budgets/b-missing", Body(world));
        using var delete = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/budgets/b-missing"));
        using var status = await world.Admin.GetAsync("/api/v1/budgets/b-missing/status");

        Assert.Equal("budget 'b-missing' not found", await Http.ReadProblemAsync(put, HttpStatusCode.NotFound));
        Assert.Equal("budget 'b-missing' not found", await Http.ReadProblemAsync(delete, HttpStatusCode.NotFound));
        Assert.Equal("budget 'b-missing' not found", await Http.ReadProblemAsync(status, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Replace_IntoAnotherOrg_Is409()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();
        var id = await CreateAsync(world, Body(world));

        using var response = await world.Admin.PutAsync($"/api/v1/budgets/{id}", Body(other));

        Assert.Equal($"budget '{id}' belongs to org '{world.OrgId}' and cannot move to org '{other.OrgId}'",
            await Http.ReadProblemAsync(response, HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task List_WithoutOrgId_Is400_AndUnknownOrg_Is404()
    {
        using var admin = silo.Admin();

        using var missing = await admin.GetAsync("/api/v1/budgets");
        using var unknown = await admin.GetAsync("/api/v1/budgets?org_id=org-missing");

        Assert.Equal("query parameter 'org_id' is required", await Http.ReadProblemAsync(missing, HttpStatusCode.BadRequest));
        Assert.Equal("org 'org-missing' not found", await Http.ReadProblemAsync(unknown, HttpStatusCode.NotFound));
    }

    internal static string Body(
        TestWorld world, string limit = "10", string scope = "org", string? reference = null, string period = "month",
        string mode = "hard_stop", string timezone = "UTC", string thresholds = "[0.8]") =>
        new JsonObject
        {
            ["org_id"] = world.OrgId,
            ["name"] = "monthly",
            ["scope"] = new JsonObject { ["type"] = scope, ["ref"] = reference ?? world.OrgId },
            ["limit_usd"] = limit,
            ["period"] = period,
            ["mode"] = mode,
            ["timezone"] = timezone,
            ["thresholds"] = JsonNode.Parse(thresholds),
        }.ToJsonString();

    internal static async Task<string> CreateAsync(TestWorld world, string body) =>
        (string)(await world.Admin.PostOkAsync("/api/v1/budgets", body))["id"]!;
}
