using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Silo.Tests.Export;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// The export in the production shape: two silo processes on one PostgreSQL database, each with a
/// data plane, and gateways posting through both at once (their grains, placed by Orleans, write the
/// ledger from whichever silo holds them); a reader paging through one silo sees every event exactly
/// once, and the other silo exports the same events in the same order. The silos talk to each
/// other over the cluster's mutual TLS (<c>Orleans:Tls</c>), so the calls between them test it.
/// </summary>
public sealed class PostgresUsageExportAcrossSilosTests : IAsyncLifetime
{
    private readonly List<SiloProcess> _silos = [];
    private string _dataDirectory = "";
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await PostgresServer.Instance.CreateDatabaseAsync("export_silos");
        _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-export-silos-" + Guid.NewGuid().ToString("N"));
        var clusterId = $"c-{Guid.NewGuid():N}";
        var clusterPki = new ClusterPki(Path.Combine(_dataDirectory, "cluster-pki"));
        // One after the other: the first creates the certificate authority in the shared data directory.
        for (var i = 0; i < 2; i++)
        {
            _silos.Add(await SiloProcess.StartAsync(
                _dataDirectory,
                [
                    "--Storage:Provider=PostgreSql", $"--ConnectionStrings:PostgreSql={_connectionString}", $"--Orleans:ClusterId={clusterId}",
                    .. clusterPki.Arguments($"silo-{i}"),
                ]));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Export_ReaderPagingWhileGatewaysPostToTwoSilos_SeesEveryEventOnce()
    {
        var (first, second) = (_silos[0], _silos[1]);
        using var admin = new AdminClient(first.AdminUri, SiloFixture.Token);
        using var otherAdmin = new AdminClient(second.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/models/m-gpt", """{"environment_id":"prod","name":"gpt","pricing":{"input_per_mtok":"2.50","output_per_mtok":"10"}}""");
        var gateways = new List<GatewayClient>();
        foreach (var (silo, dpId) in new[] { (first, "dp-1a"), (first, "dp-1b"), (second, "dp-2a"), (second, "dp-2b") })
        {
            gateways.Add(await GatewayClient.IssueAsync(admin, silo.DataPlaneUri, "prod", dpId));
        }

        try
        {
            var posted = new List<string>();
            // The writers hold after their first batch until the reader has read an event, so that reads
            // overlap the remaining writes however fast the machine posts (unheld, they can finish first).
            var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task PostAsync(GatewayClient gateway)
            {
                for (var b = 0; b < 12; b++)
                {
                    if (b == 1)
                    {
                        await firstRead.Task.WaitAsync(TimeSpan.FromSeconds(30));
                    }

                    var events = Enumerable.Range(0, 8)
                        .Select(i => UsageEvents.Event($"{gateway.DpId}-{b}-{i}", TestClock.Now, "m-gpt", promptTokens: 100 + i))
                        .ToList();
                    Assert.Equal(8, (int)(await gateway.PostTelemetryOkAsync(UsageEvents.Body(events)))["accepted"]!);
                    lock (posted)
                    {
                        posted.AddRange(events.Select(e => $"{gateway.DpId}/{(string)e["request_id"]!}/0"));
                    }
                }
            }

            var writers = Task.WhenAll(gateways.Select(PostAsync));
            var seen = new List<string>();
            string? cursor = null;
            var readsDuringWrites = 0;
            while (!writers.IsCompleted)
            {
                var (events, next, _) = await ExportReader.ReadAllAsync(admin, "acme", cursor, limit: 7);
                seen.AddRange(events.Select(ExportReader.Key));
                cursor = next;
                if (events.Count > 0 && !writers.IsCompleted)
                {
                    readsDuringWrites++;
                    firstRead.TrySetResult();
                }
            }

            // Otherwise the reader only ever read after the writers: nothing concurrent was tested.
            Assert.True(readsDuringWrites > 0, "no read returned events while the gateways were still posting");
            await writers;
            await ExportHorizon.PassedAsync(_connectionString);
            var (rest, _, _) = await ExportReader.ReadAllAsync(admin, "acme", cursor, limit: 7);
            seen.AddRange(rest.Select(ExportReader.Key));
            var (fromTheOtherSilo, _, _) = await ExportReader.ReadAllAsync(otherAdmin, "acme", limit: 50);

            Assert.Equal(4 * 12 * 8, posted.Count);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.Equal(posted.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
            // Commit order is the database's, not a silo's: both silos page the same sequence.
            Assert.Equal(seen, fromTheOtherSilo.Select(ExportReader.Key));
            foreach (var gateway in gateways)
            {
                var detail = await admin.GetOkAsync($"/api/v1/environments/prod/gateways/{gateway.DpId}");
                Assert.Equal(96, (long)detail["telemetry"]!["events_accepted"]!);
            }
        }
        finally
        {
            foreach (var gateway in gateways)
            {
                gateway.Dispose();
            }
        }
    }
}
