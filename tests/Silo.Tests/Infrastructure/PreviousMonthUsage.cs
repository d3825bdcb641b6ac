using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Grains.Billing;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>Usage of an org in a month that has ended, for the statement tests that close it.</summary>
public static class PreviousMonthUsage
{
    /// <summary>
    /// On a silo process whose clock is in the last hour of the previous UTC month: org <c>acme</c>
    /// (environment <c>prod</c>, model <c>m-1</c>, gateway <c>dp-1</c>) and <paramref name="events"/>
    /// events, then the process is killed. Returns that month, ended for silos on the test's clock.
    /// </summary>
    public static async Task<StatementPeriod> PostAsync(string dataDirectory, IReadOnlyList<string> settings, int events)
    {
        await TestClock.AwayFromPeriodBoundaryAsync(TimeSpan.FromMinutes(1));
        var month = StatementPeriod.Containing(TestClock.Now, TimeZoneInfo.Utc).Previous;
        var then = month.Window(TimeZoneInfo.Utc).End.AddHours(-1);
        await using var silo = await SiloProcess.StartAsync(dataDirectory, [.. settings, ProcessClock.At(then)]);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/models/m-1", """{"environment_id":"prod","name":"m","pricing":{"input_per_mtok":"0.15","output_per_mtok":"0.60"}}""");
        using var gateway = await GatewayClient.IssueAsync(admin, silo.DataPlaneUri, "prod", "dp-1");
        await gateway.PostTelemetryOkAsync(UsageEvents.Body(Enumerable.Range(0, events).Select(i =>
            UsageEvents.Event($"r{i}", then, "m-1", promptTokens: 1000 + i, completionTokens: 10 * i))));
        await silo.KillAsync();
        return month;
    }
}
