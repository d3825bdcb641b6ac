using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Xunit.Abstractions;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>
/// What an operator scrapes: the production shape (a silo on PostgreSQL and a separate ingress)
/// after real traffic, each process's <c>/metrics</c> with our instruments, ASP.NET Core's, the
/// runtime's and Orleans', every one passing <c>promtool check metrics</c>.
/// </summary>
public sealed class MetricsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-metrics-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task SiloAndIngress_AfterTraffic_ExposeEveryNamedInstrument_AndPassPromtool()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("metrics");
        var cluster = PostgresCluster.Arguments(connectionString);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var silo = await SiloProcess.StartAsync(_dataDirectory,
            [.. cluster, "--DataPlane:Enabled=false", "--Webhooks:AllowHttp=true", "--Webhooks:AllowPrivateNetworks=true", "--Webhooks:WakeInterval=00:00:01"]);
        await using var ingress = await SiloProcess.StartIngressAsync(_dataDirectory, cluster);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
        await admin.PutOkAsync("/api/v1/orgs/acme/webhooks/ops", $$"""{"url":"{{receiver.Url}}","events":["budget.exceeded"]}""");
        await admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"key","scope":{"type":"api_key","ref":"k-1"},"limit_usd":"1","period":"month","mode":"hard_stop"}
            """);
        using var gateway = await GatewayClient.IssueAsync(admin, ingress.DataPlaneUri, "prod", "dp-1");

        await using (var events = await SseClient.ConnectAsync(gateway))
        {
            await events.NextAsync();
            await Budgets.BudgetCheckTests.CheckAsync(gateway, "k-1");
            var batch = JsonNode.Parse(Budgets.BudgetSpendTests.Batch("m", 3, "0.40", "k-1"))!;
            batch["events"]!.AsArray().Add(7);
            var answer = await gateway.PostTelemetryOkAsync(batch.ToJsonString());
            Assert.Equal(3, (int)answer["accepted"]!);
            await events.NextNamedAsync("budget.exceeded");
            await Budgets.BudgetCheckTests.CheckAsync(gateway, "k-1");
            await receiver.NextAsync(TimeSpan.FromSeconds(30));

            using var http = new HttpClient();
            // The webhook's outcome is written after the receiver answered: give it a moment to count.
            var siloMetrics = await ScrapeUntilAsync(http, silo.AdminUri, "budgetcluster_webhook_attempts_total");
            var ingressMetrics = await ScrapeUntilAsync(http, ingress.AdminUri, "budgetcluster_budget_propagation_lag_seconds_count");

            Assert.Equal(3, Sum(ingressMetrics, "budgetcluster_telemetry_events_total", "outcome=\"accepted\""));
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_telemetry_events_total", "reason=\"not_an_object\""));
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_telemetry_batch_size_count"));
            Assert.Equal(4, Sum(ingressMetrics, "budgetcluster_telemetry_batch_size_sum"));
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_telemetry_ack_duration_seconds_count"));
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_budget_check_duration_seconds_count", "decision=\"allow\""));
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_budget_check_duration_seconds_count", "decision=\"deny\""));
            Assert.True(Sum(ingressMetrics, "budgetcluster_budget_propagation_lag_seconds_count", "stage=\"view\"") >= 1);
            Assert.True(Sum(ingressMetrics, "budgetcluster_budget_propagation_lag_seconds_count", "stage=\"sse\"") >= 1);
            Assert.Equal(1, Sum(ingressMetrics, "budgetcluster_budget_events_streams"));
            Assert.True(Sum(ingressMetrics, "http_server_request_duration_seconds_count", "/dp/") >= 3);
            Assert.True(Sum(ingressMetrics, "kestrel_active_connections") >= 1);
            Assert.True(Sum(ingressMetrics, "dotnet_gc_heap_total_allocated_bytes_total") > 0);
            Assert.Contains("service_name=\"budgetcluster-ingress\"", ingressMetrics, StringComparison.Ordinal);

            Assert.True(Sum(siloMetrics, "budgetcluster_ledger_commit_duration_seconds_count") >= 1);
            Assert.True(Sum(siloMetrics, "budgetcluster_ledger_commit_batches_count") >= 1);
            Assert.Equal(3, Sum(siloMetrics, "budgetcluster_ledger_rows_total", "outcome=\"inserted\""));
            Assert.Equal(1, Sum(siloMetrics, "budgetcluster_webhook_attempts_total", "outcome=\"delivered\""));
            Assert.True(Sum(siloMetrics, "http_client_request_duration_seconds_count") >= 1);
            Assert.True(Sum(siloMetrics, "orleans_app_requests_latency_seconds_count") > 0);
            Assert.True(Sum(siloMetrics, "orleans_catalog_activations") > 0);
            Assert.True(Sum(siloMetrics, "dotnet_process_cpu_time_seconds_total") > 0);
            Assert.Contains("service_name=\"budgetcluster-silo\"", siloMetrics, StringComparison.Ordinal);

            foreach (var (process, exposition) in new[] { ("silo", siloMetrics), ("ingress", ingressMetrics) })
            {
                var (exitCode, problems) = Promtool.CheckMetrics(exposition);
                output.WriteLine($"promtool on the {process}: exit {exitCode} {problems}");
                Assert.True(exitCode == 0 && problems.Trim().Length == 0, $"promtool check metrics on the {process}'s /metrics: {problems}");
            }
        }
    }

    /// <summary>Scrapes until <paramref name="name"/> has a sample (instruments appear with their first measurement).</summary>
    private static async Task<string> ScrapeUntilAsync(HttpClient http, Uri listener, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var text = await http.GetStringAsync(new Uri(listener, "/metrics"));
            if (Sum(text, name) > 0 || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Sum(string exposition, string name, string label = "") =>
        exposition.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));

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
