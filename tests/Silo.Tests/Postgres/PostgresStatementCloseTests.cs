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
        // The org is created, and its usage posted, by a silo on a clock in the last hour of the previous month.
        var month = await PreviousMonthUsage.PostAsync(_dataDirectory, [.. storage, $"--Orleans:ClusterId=c-{Guid.NewGuid():N}"], events: 20);

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
