using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// The production shape in real processes: a silo on PostgreSQL without a data plane of its own,
/// and a separate ingress process that finds it through the membership table, the two talking
/// over the cluster's mutual TLS (<c>Orleans:Tls</c>).
/// </summary>
public sealed class SeparateIngressTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-ingress-" + Guid.NewGuid().ToString("N"));
    // The ingress's own machine: the CA certificate and the server pair copied from the silos', never the CA key.
    private readonly string _ingressDirectory = Path.Combine(Path.GetTempPath(), "bc-ingress-only-" + Guid.NewGuid().ToString("N"));
    private readonly string _clusterPkiDirectory = Path.Combine(Path.GetTempPath(), "bc-ingress-cluster-pki-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Ingress_AsAnOrleansClient_ServesTelemetryAndBudgetDecisions()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("ingress");
        var cluster = PostgresCluster.Arguments(connectionString);
        var clusterPki = new ClusterPki(_clusterPkiDirectory);
        await using var silo = await SiloProcess.StartAsync(_dataDirectory, [.. cluster, .. clusterPki.Arguments("silo-1"), "--DataPlane:Enabled=false"]);
        CopyPki(_dataDirectory, _ingressDirectory, "ca.crt.pem", "server.crt.pem", "server.key.pem");
        await using var ingress = await SiloProcess.StartIngressAsync(_ingressDirectory, [.. cluster, .. clusterPki.Arguments("ingress-1")]);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme","fail_mode":"open"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
        await admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"all","scope":{"type":"org","ref":"acme"},"limit_usd":"1","period":"month","mode":"hard_stop"}
            """);
        using var gateway = await GatewayClient.IssueAsync(admin, ingress.DataPlaneUri, "prod", "dp-1");
        await using var events = await SseClient.ConnectAsync(gateway);
        await events.NextAsync();

        var answer = await gateway.PostTelemetryOkAsync(Budgets.BudgetSpendTests.Batch("i", 3, "0.40", "k-1"));
        await events.NextNamedAsync("budget.exceeded");
        var check = await Budgets.BudgetCheckTests.CheckAsync(gateway, "k-1");
        var detail = await admin.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");

        Assert.Equal(3, (int)answer["accepted"]!);
        Assert.False((bool)check["allow"]!);
        Assert.Equal("open", (string)check["fail_mode"]!);
        Assert.Equal("1.20", (string)detail["usage"]!["spend_usd"]!);

        // An admin change made on the silo reaches the other process's answers within a second.
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme","fail_mode":"closed"}""");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string failMode;
        while ((failMode = (string)(await Budgets.BudgetCheckTests.CheckAsync(gateway, "k-1"))["fail_mode"]!) != "closed" && watch.Elapsed < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(50);
        }

        Assert.True(failMode == "closed", $"the ingress still answered fail_mode '{failMode}' {watch.ElapsedMilliseconds} ms after the change");
        Assert.Equal(["ca.crt.pem", "server.crt.pem", "server.key.pem"], PkiFiles(_ingressDirectory));
    }

    [Fact]
    public async Task Ingress_WithoutTheSilosCaCertificate_RefusesToStartAndCreatesNoCa()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartIngressAsync(_ingressDirectory));

        Assert.Contains("There is no CA certificate at", error.Message);
        Assert.Contains("Start a silo on this data directory first", error.Message);
        Assert.Empty(PkiFiles(_ingressDirectory));
    }

    [Fact]
    public async Task Ingress_GivenTheCaKey_RefusesToStart()
    {
        var silo = Path.Combine(_dataDirectory, "pki");
        CopyPki(_dataDirectory, _ingressDirectory, "ca.crt.pem", "server.crt.pem", "server.key.pem");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartIngressAsync(_ingressDirectory,
            $"--DataPlane:CaCertificatePath={Path.Combine(silo, "ca.crt.pem")}", $"--DataPlane:CaKeyPath={Path.Combine(silo, "ca.key.pem")}"));

        Assert.Contains("an ingress verifies gateway certificates with the CA certificate alone and never holds the CA key", error.Message);
    }

    private static void CopyPki(string from, string to, params string[] files)
    {
        if (!File.Exists(Path.Combine(from, "pki", "ca.crt.pem")))
        {
            // A silo's first start creates these; the embedded default makes them without a cluster.
            using var authority = BudgetCluster.TelemetryIngress.Security.CertificateAuthority.LoadOrCreate(new(), from, TestClock.Provider);
            authority.LoadOrCreateServerCertificate(new(), from).Dispose();
        }

        Directory.CreateDirectory(Path.Combine(to, "pki"));
        foreach (var file in files)
        {
            File.Copy(Path.Combine(from, "pki", file), Path.Combine(to, "pki", file));
        }
    }

    private static string[] PkiFiles(string directory) =>
        Directory.Exists(Path.Combine(directory, "pki"))
            ? [.. Directory.GetFiles(Path.Combine(directory, "pki")).Select(Path.GetFileName).Where(f => f!.EndsWith(".pem", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!]
            : [];

    public void Dispose()
    {
        foreach (var directory in new[] { _dataDirectory, _ingressDirectory, _clusterPkiDirectory })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Never created (a refused start), or still held by an exiting process.
            }
        }
    }
}
