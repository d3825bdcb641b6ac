using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Xunit.Abstractions;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>
/// A telemetry batch is one trace across processes: the gateway's <c>traceparent</c> continues in
/// the ingress's request span, through the gateway grain on the silo, its ledger append and the
/// budget it moves, and both processes export their spans over OTLP when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public sealed class TracingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-traces-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ATelemetryBatch_IsOneTrace_FromTheIngressRequestThroughTheGatewayGrainLedgerAndBudget()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        string[] otlp = [$"--OTEL_EXPORTER_OTLP_ENDPOINT={collector.Url}", "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "--OTEL_BSP_SCHEDULE_DELAY=200"];
        var cluster = PostgresCluster.Arguments(await PostgresServer.Instance.CreateDatabaseAsync("traces"));
        await using var silo = await SiloProcess.StartAsync(_dataDirectory, [.. cluster, .. otlp, "--DataPlane:Enabled=false"]);
        await using var ingress = await SiloProcess.StartIngressAsync(_dataDirectory, [.. cluster, .. otlp]);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
        await admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"key","scope":{"type":"api_key","ref":"k-1"},"limit_usd":"100","period":"month","mode":"hard_stop"}
            """);
        using var gateway = await GatewayClient.IssueAsync(admin, ingress.DataPlaneUri, "prod", "dp-1");
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/dp/telemetry")
        {
            Content = new StringContent(Budgets.BudgetSpendTests.Batch("t", 2, "0.10", "k-1"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8])}-01");
        using var response = await gateway.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var id = Convert.FromHexString(traceId);
        var (ingressSpans, siloSpans) = await UntilExportedAsync(collector, id, TimeSpan.FromSeconds(30));
        output.WriteLine($"ingress: {Printable(ingressSpans)}\nsilo: {Printable(siloSpans)}");
        Assert.Contains("POST /dp/telemetry", ingressSpans, StringComparison.Ordinal);
        Assert.Contains("IngestTelemetry", ingressSpans, StringComparison.Ordinal);
        Assert.Contains("IngestTelemetry", siloSpans, StringComparison.Ordinal);
        Assert.Contains("ledger append", siloSpans, StringComparison.Ordinal);
        Assert.Contains("ApplyUsage", siloSpans, StringComparison.Ordinal);
    }

    /// <summary>The exports of each process that carry the trace, as text (protobuf keeps names as UTF-8), once both have them.</summary>
    private static async Task<(string Ingress, string Silo)> UntilExportedAsync(OtlpReceiver collector, byte[] traceId, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var traced = collector.Exports("/v1/traces").Where(body => body.AsSpan().IndexOf(traceId) >= 0).Select(body => Encoding.UTF8.GetString(body)).ToList();
            var ingress = string.Concat(traced.Where(text => text.Contains("budgetcluster-ingress", StringComparison.Ordinal)));
            var silo = string.Concat(traced.Where(text => text.Contains("budgetcluster-silo", StringComparison.Ordinal)));
            // Each process exports its spans as they end, in batches: wait for the last of each.
            if ((silo.Contains("ApplyUsage", StringComparison.Ordinal) && ingress.Contains("POST /dp/telemetry", StringComparison.Ordinal))
                || DateTime.UtcNow > deadline)
            {
                return (ingress, silo);
            }

            await Task.Delay(250);
        }
    }

    private static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? ' ' : c)]);

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
