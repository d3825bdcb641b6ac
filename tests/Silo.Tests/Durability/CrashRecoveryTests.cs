using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Durability;

/// <summary>
/// D1 on one node: what a 200 acknowledged survives SIGKILL exactly once. The silo runs as a real
/// process, is killed without any shutdown, and restarted on the same data directory.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private const int Batches = 20;
    private const int EventsPerBatch = 50;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-crash-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task KillDashNine_ThenRestart_KeepsEveryTotalAndReplaysAsDuplicates()
    {
        // A short snapshot interval, so the crash lands with part of the totals in a snapshot and part only in the ledger.
        string[] settings = ["--Gateways:SnapshotInterval=00:00:01"];
        await TestClock.AwayFromPeriodBoundaryAsync(TimeSpan.FromMinutes(1));
        var bodies = Enumerable.Range(0, Batches).Select(Batch).ToList();
        JsonNode before;
        string budgetId;
        await using (var first = await SiloProcess.StartAsync(_dataDirectory, settings))
        {
            using var admin = new AdminClient(first.AdminUri, SiloFixture.Token);
            await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
            await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
            await admin.PutOkAsync("/api/v1/models/m-1", """{"environment_id":"prod","name":"m","pricing":{"input_per_mtok":"0.15","output_per_mtok":"0.60"}}""");
            budgetId = (string)(await admin.PostOkAsync("/api/v1/budgets", """
                {"org_id":"acme","name":"all","scope":{"type":"org","ref":"acme"},"limit_usd":"1000","period":"month","mode":"hard_stop"}
                """))["id"]!;
            await GatewayClient.KeepIssuedAsync(admin, _dataDirectory);
            using var gateway = Gateway(first.DataPlaneUri);

            for (var i = 0; i < Batches; i++)
            {
                var answer = await gateway.PostTelemetryOkAsync(bodies[i]);
                Assert.Equal(EventsPerBatch, (int)answer["accepted"]!);
                if (i == Batches / 2)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2.5));
                }
            }

            before = await admin.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");
            await first.KillAsync();
        }

        Assert.Equal(Batches * EventsPerBatch, (long)before["telemetry"]!["events_accepted"]!);
        Assert.Equal(ExpectedSpend(), decimal.Parse((string)before["usage"]!["spend_usd"]!, CultureInfo.InvariantCulture));

        await using var second = await SiloProcess.StartAsync(_dataDirectory, settings);
        using var adminAgain = new AdminClient(second.AdminUri, SiloFixture.Token);
        using var gatewayAgain = Gateway(second.DataPlaneUri);

        var afterRestart = await adminAgain.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");
        Assert.Equal(before["usage"]!.ToJsonString(), afterRestart["usage"]!.ToJsonString());
        var budgetAfterRestart = await adminAgain.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
        Assert.Equal(ExpectedSpend(), decimal.Parse((string)budgetAfterRestart["spent_usd"]!, CultureInfo.InvariantCulture));
        Assert.Equal((long)before["telemetry"]!["events_accepted"]!, (long)afterRestart["telemetry"]!["events_accepted"]!);

        foreach (var body in bodies)
        {
            var replay = await gatewayAgain.PostTelemetryOkAsync(body);
            Assert.Equal(0, (int)replay["accepted"]!);
            Assert.Equal(EventsPerBatch, (int)replay["duplicates"]!);
        }

        var afterReplay = await adminAgain.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");
        Assert.Equal(before["usage"]!.ToJsonString(), afterReplay["usage"]!.ToJsonString());
        var budgetAfterReplay = await adminAgain.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
        Assert.Equal(ExpectedSpend(), decimal.Parse((string)budgetAfterReplay["spent_usd"]!, CultureInfo.InvariantCulture));
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

    private GatewayClient Gateway(Uri dataPlane) => GatewayClient.FromFiles(dataPlane, _dataDirectory);

    private static long Prompt(int batch, int e) => 100 + (batch * 7) + e;

    private static long Completion(int batch, int e) => 10 + e;

    /// <summary>Σ prompt·0.15 + completion·0.60 per million tokens, computed independently of the product.</summary>
    private static decimal ExpectedSpend()
    {
        var total = 0m;
        for (var b = 0; b < Batches; b++)
        {
            for (var e = 0; e < EventsPerBatch; e++)
            {
                total += ((Prompt(b, e) * 0.15m) + (Completion(b, e) * 0.60m)) / 1_000_000m;
            }
        }

        return total;
    }

    private static string Batch(int batch) =>
        UsageEvents.Body(Enumerable.Range(0, EventsPerBatch).Select(e => UsageEvents.Event(
            $"req-{batch}-{e}", modelId: "m-1", promptTokens: Prompt(batch, e), completionTokens: Completion(batch, e))));
}
