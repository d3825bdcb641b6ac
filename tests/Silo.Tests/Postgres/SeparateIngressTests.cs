using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// The production shape in real processes: a silo on PostgreSQL without a data plane of its own,
/// and a separate ingress process that finds it through the membership table.
/// </summary>
public sealed class SeparateIngressTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-ingress-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Ingress_AsAnOrleansClient_ServesTelemetryAndBudgetDecisions()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("ingress");
        string[] cluster =
        [
            "--Storage:Provider=PostgreSql",
            $"--ConnectionStrings:PostgreSql={connectionString}",
            $"--Orleans:ClusterId=c-{Guid.NewGuid():N}",
        ];
        await using var silo = await SiloProcess.StartAsync(_dataDirectory, [.. cluster, "--DataPlane:Enabled=false"]);
        await using var ingress = await SiloProcess.StartIngressAsync(_dataDirectory, cluster);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme","fail_mode":"open"}""");
        await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
        await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
        await admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"all","scope":{"type":"org","ref":"acme"},"limit_usd":"1","period":"month","mode":"hard_stop"}
            """);
        var issued = await admin.PostOkAsync("/api/v1/environments/prod/gateway-certificates", """{"dp_id":"dp-1"}""");
        using var gateway = new GatewayClient(
            ingress.DataPlaneUri,
            X509Certificate2.CreateFromPem((string)issued["certificate_pem"]!, (string)issued["private_key_pem"]!),
            X509Certificate2.CreateFromPem((string)issued["ca_pem"]!),
            "prod",
            "dp-1");
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
