using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Billing;

/// <summary>API.md §8 at the edges: the org's billing time zone, and every bad period, org and close.</summary>
public sealed class StatementApiTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Statement_InLosAngeles_StartsAtLocalMidnightOfTheFirst()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        using var admin = silo.Admin();
        var org = $"org-{Guid.NewGuid():N}"[..20];
        var put = await admin.PutOkAsync($"/api/v1/orgs/{org}", """{"name":"West","billing_time_zone":"America/Los_Angeles"}""");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        var local = TimeZoneInfo.ConvertTime(TestClock.Now, zone);
        var period = $"{local:yyyy-MM}";

        var list = await admin.GetOkAsync($"/api/v1/orgs/{org}/statements");
        var statement = await admin.GetOkAsync($"/api/v1/orgs/{org}/statements/{period}");

        Assert.Equal("America/Los_Angeles", (string)put["billing_time_zone"]!);
        Assert.Equal("America/Los_Angeles", (string)list["time_zone"]!);
        // From the month of the oldest event a gateway could send when the org was created (35 days).
        var first = $"{TimeZoneInfo.ConvertTime(TestClock.Now.AddDays(-35), zone):yyyy-MM}";
        var statements = list["data"]!.AsArray();
        Assert.Equal(first, (string)statements[0]!["period"]!);
        var only = statements[^1]!;
        Assert.Equal((period, "open", "0.00"), ((string)only["period"]!, (string)only["status"]!, (string)only["total_usd"]!));
        Assert.Equal("America/Los_Angeles", (string)statement["time_zone"]!);
        var start = DateTimeOffset.Parse((string)statement["starting_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var startLocal = TimeZoneInfo.ConvertTime(start, zone);
        Assert.Equal((local.Year, local.Month, 1, TimeSpan.Zero), (startLocal.Year, startLocal.Month, startLocal.Day, startLocal.TimeOfDay));
        Assert.Equal((string)only["starting_at"]!, (string)statement["starting_at"]!);
        Assert.Empty(statement["lines"]!.AsArray());
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-1")]
    [InlineData("26-11")]
    [InlineData("2026-11-01")]
    [InlineData("1971-12")]
    [InlineData("november")]
    public async Task Statement_BadPeriod_Is400NamingIt(string period)
    {
        using var world = await silo.OnboardAsync();

        using var get = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}");
        using var close = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}/close", "");

        foreach (var response in new[] { get, close })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("'period' must be a month written YYYY-MM", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Statement_OutsideTheOrgsMonthsOrOfAnUnknownOrg_Is404_AndClosingAFutureOneIs409()
    {
        using var world = await silo.OnboardAsync();
        var current = TestClock.Now;
        // The first statement is the month of the oldest event a gateway could send (35 days before the org).
        var before = $"{current.AddDays(-35).AddMonths(-1):yyyy-MM}";
        var after = $"{current.AddMonths(2):yyyy-MM}";

        using var early = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/statements/{before}");
        using var late = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/statements/{after}");
        using var unknownGet = await world.Admin.GetAsync($"/api/v1/orgs/org-never-{world.Suffix}/statements/{current:yyyy-MM}");
        using var unknownList = await world.Admin.GetAsync($"/api/v1/orgs/org-never-{world.Suffix}/statements");
        using var unknownClose = await world.Admin.PostAsync($"/api/v1/orgs/org-never-{world.Suffix}/statements/{before}/close", "");
        using var futureClose = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{after}/close", "");

        Assert.Equal(HttpStatusCode.NotFound, early.StatusCode);
        Assert.Contains($"has no statement for {before}", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, futureClose.StatusCode);
        Assert.Contains($"the period {after} has not begun", await futureClose.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in new[] { unknownGet, unknownList, unknownClose })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains($"org 'org-never-{world.Suffix}' not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Close_CurrentPeriod_Is409AndTheStatementStaysOpenWithItsUsage()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("e1", modelId: $"m-gpt-4o-{world.Suffix}", cost: "0.40")]));
        var period = $"{TestClock.Now:yyyy-MM}";

        using var close = await world.Admin.PostAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}/close", "");
        var statement = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/statements/{period}");

        Assert.Equal(HttpStatusCode.Conflict, close.StatusCode);
        Assert.Contains($"the period {period} has not ended", await close.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(("open", "0.40"), ((string)statement["status"]!, (string)statement["total_usd"]!));
    }

    [Theory]
    [InlineData("\"Mars/Olympus_Mons\"", "'billing_time_zone' must be an IANA time zone name")]
    [InlineData("\"Pacific Standard Time\"", "'billing_time_zone' must be an IANA time zone name")]
    [InlineData("\"\"", "'billing_time_zone' must be an IANA time zone name")]
    [InlineData("42", "billing_time_zone")]
    public async Task PutOrg_BadBillingTimeZone_Is400NamingIt_AndTheOrgIsUnchanged(string zone, string message)
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Admin.PutAsync($"/api/v1/orgs/{world.OrgId}", $$"""{"name":"Renamed","billing_time_zone":{{zone}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var org = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}");
        Assert.Equal(("Acme", "UTC"), ((string)org["name"]!, (string)org["billing_time_zone"]!));
    }
}
