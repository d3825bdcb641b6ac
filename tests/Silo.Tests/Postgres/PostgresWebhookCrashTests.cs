using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// API.md §10 in the production shape: two silo processes on one PostgreSQL database; a budget
/// exceeded while the receiver refuses, both silos killed with SIGKILL, two new silos started: the
/// transition is delivered, once it is accepted, with the id it was first sent with.
/// </summary>
public sealed class PostgresWebhookCrashTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-webhook-silos-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task TransitionNotYetDelivered_BothSilosKilled_IsDeliveredByTheNextOnes()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("webhook_silos");
        string[] settings =
        [
            "--Storage:Provider=PostgreSql", $"--ConnectionStrings:PostgreSql={connectionString}",
            "--Webhooks:AllowHttp=true", "--Webhooks:AllowPrivateNetworks=true", "--Webhooks:WakeInterval=00:00:01",
        ];
        await TestClock.AwayFromPeriodBoundaryAsync();
        receiver.Plan([.. Enumerable.Repeat(503, 20)]);
        var generation = $"--Orleans:ClusterId=c-{Guid.NewGuid():N}";
        var one = await SiloProcess.StartAsync(_dataDirectory, [.. settings, generation]);
        var two = await SiloProcess.StartAsync(_dataDirectory, [.. settings, generation]);
        string budgetId;
        string firstId;
        try
        {
            using var admin = new AdminClient(one.AdminUri, SiloFixture.Token);
            await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
            await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
            await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
            await admin.PutOkAsync("/api/v1/orgs/acme/webhooks/ops", $$"""{"url":"{{receiver.Url}}","events":["budget.exceeded"]}""");
            budgetId = (string)(await admin.PostOkAsync("/api/v1/budgets", """
                {"org_id":"acme","name":"monthly","scope":{"type":"api_key","ref":"k-1"},"limit_usd":"1","period":"month","mode":"hard_stop"}
                """))["id"]!;
            using var gateway = await GatewayClient.IssueAsync(admin, two.DataPlaneUri, "prod", "dp-1");
            await gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("over", apiKeyId: "k-1", cost: "1.50")]));
            var refused = await receiver.NextAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(503, refused.Status);
            firstId = refused.Headers["webhook-id"];
        }
        finally
        {
            await one.KillAsync();
            await two.KillAsync();
            await one.DisposeAsync();
            await two.DisposeAsync();
        }

        receiver.ClearPlan();
        var next = $"--Orleans:ClusterId=c-{Guid.NewGuid():N}";
        await using var three = await SiloProcess.StartAsync(_dataDirectory, [.. settings, next]);
        await using var four = await SiloProcess.StartAsync(_dataDirectory, [.. settings, next]);

        WebhookReceiver.Received delivered;
        do
        {
            delivered = await receiver.NextAsync(TimeSpan.FromSeconds(30));
        }
        while (delivered.Status != 200);

        var body = JsonNode.Parse(delivered.Body)!;
        Assert.Equal(firstId, delivered.Headers["webhook-id"]);
        Assert.Equal(("budget.exceeded", budgetId), ((string)body["type"]!, (string)body["data"]!["budget_id"]!));
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromSeconds(2)));
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
