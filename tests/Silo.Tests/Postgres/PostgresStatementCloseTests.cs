using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// API.md §8 in the production shape: two silo processes on one PostgreSQL database, both asking
/// every org to close its due statements every 200 ms; the month's statement closes exactly once
/// (one "closed" line in the two logs) and both silos serve the same bytes.
/// </summary>
public sealed class PostgresStatementCloseTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-statement-silos-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task DueStatement_TwoSilosCheckingAtOnce_ClosesOnce()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("statement_silos");
        string[] storage = ["--Storage:Provider=PostgreSql", $"--ConnectionStrings:PostgreSql={connectionString}"];
        await TestClock.AwayFromPeriodBoundaryAsync(TimeSpan.FromMinutes(1));
        // The org is created, and its usage posted, by a silo whose clock is in the last hour of the
        // previous month (a clock shifted back: Orleans' membership takes that, not one shifted ahead).
        var month = StatementPeriod.Containing(TestClock.Now, TimeZoneInfo.Utc).Previous;
        var back = month.Window(TimeZoneInfo.Utc).End.AddHours(-1) - TestClock.Now;
        var offset = ShiftedClock.Parse(Environment.GetEnvironmentVariable("Testing__ClockOffset")).GetValueOrDefault() + back;
        await using (var first = await SiloProcess.StartAsync(
            _dataDirectory,
            [.. storage, $"--Orleans:ClusterId=c-{Guid.NewGuid():N}", $"--Testing:ClockOffset={offset.ToString("c", CultureInfo.InvariantCulture)}"]))
        {
            using var admin = new AdminClient(first.AdminUri, SiloFixture.Token);
            await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
            await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
            await admin.PutOkAsync("/api/v1/models/m-1", """{"environment_id":"prod","name":"m","pricing":{"input_per_mtok":"0.15","output_per_mtok":"0.60"}}""");
            var issued = await admin.PostOkAsync("/api/v1/environments/prod/gateway-certificates", """{"dp_id":"dp-1"}""");
            using var gateway = new GatewayClient(
                first.DataPlaneUri,
                X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!),
                X509Certificate2.CreateFromPem((string)issued["ca_pem"]!),
                "prod",
                "dp-1");
            var then = TestClock.Now + back;
            await gateway.PostTelemetryOkAsync(UsageEvents.Body(Enumerable.Range(0, 20).Select(i =>
                UsageEvents.Event($"r{i}", then, "m-1", promptTokens: 1000 + i, completionTokens: 10 * i))));
            await first.KillAsync();
        }

        // Two silos on the test's clock, in a cluster of their own (the same service: the same grain
        // state and ledger), both asking every 200 ms for the statements due since the month ended.
        string[] closing = [.. storage, $"--Orleans:ClusterId=c-{Guid.NewGuid():N}", "--Billing:CloseAfter=00:00:00", "--Billing:CloseCheckInterval=00:00:00.200"];
        await using var one = await SiloProcess.StartAsync(_dataDirectory, closing);
        await using var two = await SiloProcess.StartAsync(_dataDirectory, closing);
        using var adminOne = new AdminClient(one.AdminUri, SiloFixture.Token);
        using var adminTwo = new AdminClient(two.AdminUri, SiloFixture.Token);

        var closed = await ClosedAsync(adminOne, month);
        // Both go on checking: a second close would log again (and would have to change nothing).
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var fromTwo = await adminTwo.GetAsync($"/api/v1/orgs/acme/statements/{month}");
        var list = await adminTwo.GetOkAsync("/api/v1/orgs/acme/statements");

        Assert.Equal(closed, await fromTwo.Content.ReadAsByteArrayAsync());
        Assert.Equal(20, (long)JsonNode.Parse(closed)!["lines"]![0]!["attempts"]!);
        Assert.Single(list["data"]!.AsArray(), s => (string)s!["period"]! == month.ToString() && (string)s["status"]! == "closed");
        var closings = one.ReadLog().Split('\n').Concat(two.ReadLog().Split('\n'))
            .Count(line => line.Contains($"Statement acme {month} closed", StringComparison.Ordinal));
        Assert.Equal(1, closings);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<byte[]> ClosedAsync(AdminClient admin, StatementPeriod month)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await admin.GetAsync($"/api/v1/orgs/acme/statements/{month}");
            var body = await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode && (string?)JsonNode.Parse(body)!["status"] == "closed")
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the statement of {month} did not close by itself: {System.Text.Encoding.UTF8.GetString(body)}");
            await Task.Delay(200);
        }
    }
}
