using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace BudgetCluster.Silo.Tests.FaultInjection;

/// <summary>
/// D1 and D2 under a failure, with real processes on PostgreSQL: two silos and a separate ingress;
/// gateways stream batches and send again anything not acknowledged; one silo is killed with
/// SIGKILL mid-stream. At the end every acknowledged event is in the ledger exactly once and every
/// budget and gateway total equals the ledger.
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Gateways = 4;
    private const int BatchesPerGateway = 25;
    private const int EventsPerBatch = 20;
    private const decimal CostPerEvent = 0.001m;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-fault-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task KillASiloMidStream_EveryAcknowledgedEventCountsExactlyOnce()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("fault");
        string[] cluster =
        [
            "--Storage:Provider=PostgreSql",
            $"--ConnectionStrings:PostgreSql={connectionString}",
            $"--Orleans:ClusterId=c-{Guid.NewGuid():N}",
            "--DataPlane:Enabled=false",
        ];
        await using var survivor = await SiloProcess.StartAsync(_dataDirectory, cluster);
        await using var victim = await SiloProcess.StartAsync(_dataDirectory, cluster);
        await using var ingress = await SiloProcess.StartIngressAsync(_dataDirectory, cluster[..3]);
        using var admin = new AdminClient(survivor.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        var budgetId = (string)(await admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"all","scope":{"type":"org","ref":"acme"},"limit_usd":"1000","period":"month","mode":"hard_stop"}
            """))["id"]!;
        var gateways = new List<GatewayClient>();
        for (var g = 0; g < Gateways; g++)
        {
            var issued = await admin.PostOkAsync("/api/v1/environments/prod/gateway-certificates", $$"""{"dp_id":"dp-{{g}}"}""");
            gateways.Add(new GatewayClient(
                ingress.DataPlaneUri,
                X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!),
                X509Certificate2.CreateFromPem((string)issued["ca_pem"]!),
                "prod",
                $"dp-{g}"));
        }

        var acknowledged = new ConcurrentBag<string>();
        var retries = 0;
        var streams = Enumerable.Range(0, Gateways).Select(g => Task.Run(async () =>
        {
            for (var b = 0; b < BatchesPerGateway; b++)
            {
                var (body, ids) = Batch(g, b);
                // A gateway that honours the contract: anything but a 200 is sent again, unchanged.
                while (true)
                {
                    try
                    {
                        using var response = await gateways[g].PostTelemetryAsync(body);
                        if (response.IsSuccessStatusCode)
                        {
                            ids.ForEach(acknowledged.Add);
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                    }

                    Interlocked.Increment(ref retries);
                    await Task.Delay(100);
                }

                await Task.Delay(20);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await victim.KillAsync();
        await Task.WhenAll(streams);
        output.WriteLine($"{acknowledged.Count} events acknowledged; {retries} sends were not acknowledged and were sent again");

        Assert.Equal(Gateways * BatchesPerGateway * EventsPerBatch, acknowledged.Distinct().Count());
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var count = dataSource.CreateCommand("SELECT count(*), count(DISTINCT request_id), sum(cost_usd) FROM usage_ledger"))
        await using (var reader = await count.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(acknowledged.Distinct().Count(), reader.GetInt64(0));
            Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
            Assert.Equal(acknowledged.Distinct().Count() * CostPerEvent, reader.GetDecimal(2));
        }

        // Grains of the killed silo come back on the survivor from snapshot and ledger: allow them the time.
        JsonNode report = null!;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            report = await admin.GetOkAsync("/api/v1/orgs/acme/reconciliation");
            if (!(bool)report["drift"]!)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.False((bool)report["drift"]!, report.ToJsonString());
        var budget = await admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
        Assert.Equal(acknowledged.Distinct().Count() * CostPerEvent, decimal.Parse((string)budget["spent_usd"]!, CultureInfo.InvariantCulture));
        foreach (var gateway in gateways)
        {
            gateway.Dispose();
        }
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

    private static (string Body, List<string> Ids) Batch(int gateway, int batch)
    {
        var ids = new List<string>();
        var events = new JsonArray();
        for (var e = 0; e < EventsPerBatch; e++)
        {
            var id = $"g{gateway}-b{batch}-e{e}";
            ids.Add(id);
            events.Add(new JsonObject
            {
                ["request_id"] = id,
                ["occurred_at"] = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["model_id"] = "",
                ["api_key_id"] = "k",
                ["prompt_tokens"] = 10,
                ["completion_tokens"] = 10,
                ["upstream_latency_ms"] = 5,
                ["status_code"] = 200,
                ["cost_usd"] = CostPerEvent.ToString(CultureInfo.InvariantCulture),
                ["guardrail_blocked"] = false,
                ["attempt_index"] = 0,
            });
        }

        return (new JsonObject { ["events"] = events }.ToJsonString(), ids);
    }
}
