using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Durability;

/// <summary>
/// API.md §8 across SIGKILL: a closed statement is the same bytes after the silo is killed and
/// restarted. The silo runs as a process; the month closed is the one before the test's clock.
/// </summary>
public sealed class StatementCrashTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-statement-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ClosedStatement_KillDashNineAndRestart_SameBytesAndHash()
    {
        // The org and its usage come from a silo on a clock in the last hour of the previous month,
        // so that month has ended for the silos after it, which run on the test's clock.
        var month = await PreviousMonthUsage.PostAsync(_dataDirectory, [], events: 30);

        byte[] closed;
        await using (var second = await SiloProcess.StartAsync(_dataDirectory))
        {
            using var admin = new AdminClient(second.AdminUri, SiloFixture.Token);
            // Statements close in order: first the months before it (from 35 days before the org).
            foreach (var earlier in (await admin.GetOkAsync("/api/v1/orgs/acme/statements"))["data"]!.AsArray()
                .Select(s => (string)s!["period"]!).Where(p => string.CompareOrdinal(p, month.ToString()) < 0))
            {
                await admin.PostOkAsync($"/api/v1/orgs/acme/statements/{earlier}/close", "");
            }

            using var close = await admin.PostAsync($"/api/v1/orgs/acme/statements/{month}/close", "");
            Assert.Equal(HttpStatusCode.OK, close.StatusCode);
            closed = await close.Content.ReadAsByteArrayAsync();
            await second.KillAsync();
        }

        await using var third = await SiloProcess.StartAsync(_dataDirectory);
        using var adminAgain = new AdminClient(third.AdminUri, SiloFixture.Token);
        using var again = await adminAgain.GetAsync($"/api/v1/orgs/acme/statements/{month}");
        var list = await adminAgain.GetOkAsync("/api/v1/orgs/acme/statements");

        var statement = JsonNode.Parse(closed)!;
        Assert.Equal("closed", (string)statement["status"]!);
        Assert.Equal(30, (long)statement["lines"]![0]!["attempts"]!);
        Assert.Equal(closed, await again.Content.ReadAsByteArrayAsync());
        var summary = list["data"]!.AsArray().Single(s => (string)s!["period"]! == month.ToString())!;
        Assert.Equal(((string)statement["content_sha256"]!, "closed"), ((string)summary["content_sha256"]!, (string)summary["status"]!));
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
}
