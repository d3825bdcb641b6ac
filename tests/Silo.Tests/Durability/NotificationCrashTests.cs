using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Durability;

/// <summary>
/// API.md §10 across SIGKILL (issue #13): a transition whose webhook was not yet delivered when the
/// silo died is delivered after the restart, and a budget exceeded when its silo died clears at its
/// period's end with nothing calling the silo (its webhook arrives; a subscriber then finds it not
/// blocking; a subscriber connected at the period's end is sent <c>budget.cleared</c> by the rollover
/// tests). The silos run as processes on clocks
/// shifted back to the last minute of a UTC day (the first) and around its end (the second).
/// </summary>
public sealed class NotificationCrashTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-notify-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task KillDashNineBeforeDeliveryAndAtTheDaysEnd_ExceededIsDeliveredAfterRestart_AndClearedArrivesWithoutTraffic()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (budgetId, midnight) = await ExceedAMinuteBeforeMidnightAndKillAsync(receiver);

        // Nothing calls the second silo: no gateway, no admin call, no subscriber (a subscription
        // would itself activate the org's budgets). Only the silo's own sweeps can wake them.
        await using var second = await SiloProcess.StartAsync(_dataDirectory, [.. Settings, ProcessClock.At(midnight.AddSeconds(10))]);

        var delivered = await NextOfTypeAsync(receiver, "budget.exceeded", status: 200);
        var cleared = await NextOfTypeAsync(receiver, "budget.cleared", status: 200);
        using var gatewayAgain = Gateway(second.DataPlaneUri);
        await using var events = await SseClient.ConnectAsync(gatewayAgain);
        var snapshot = await events.NextNamedAsync("snapshot");

        Assert.Equal(budgetId, (string)JsonNode.Parse(delivered.Body)!["data"]!["budget_id"]!);
        Assert.Equal(budgetId, (string)JsonNode.Parse(cleared.Body)!["data"]!["budget_id"]!);
        Assert.Equal("0.00", (string)JsonNode.Parse(cleared.Body)!["data"]!["spent_usd"]!);
        Assert.DoesNotContain(snapshot.Data["budgets"]!.AsArray(), b => (string)b!["budget_id"]! == budgetId && (bool)b["blocking"]!);
    }

    [Fact]
    public async Task SubscriberOfTheRestartedSiloAtTheDaysEnd_IsPushedClearedWithNoTraffic_AsIsTheWebhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (budgetId, midnight) = await ExceedAMinuteBeforeMidnightAndKillAsync(receiver);

        // The second silo starts a few seconds before midnight; a gateway subscribes and sends nothing.
        await using var second = await SiloProcess.StartAsync(_dataDirectory, [.. Settings, ProcessClock.At(midnight.AddSeconds(-10))]);
        using var gateway = Gateway(second.DataPlaneUri);
        await using var events = await SseClient.ConnectAsync(gateway);

        var pushed = await events.NextNamedAsync("budget.cleared", TimeSpan.FromSeconds(30));
        var cleared = await NextOfTypeAsync(receiver, "budget.cleared", status: 200);

        Assert.Equal(budgetId, (string)pushed.Data["budget_id"]!);
        Assert.Equal(("0.00", false), ((string)pushed.Data["spent_usd"]!, (bool)pushed.Data["blocking"]!));
        Assert.Equal(budgetId, (string)JsonNode.Parse(cleared.Body)!["data"]!["budget_id"]!);
    }

    private static readonly string[] Settings =
        ["--Webhooks:AllowHttp=true", "--Webhooks:AllowPrivateNetworks=true", "--Webhooks:WakeInterval=00:00:01", "--Budgets:WakeInterval=00:00:03"];

    /// <summary>
    /// A silo whose clock starts a minute before today's UTC midnight: an org, a webhook (whose
    /// receiver refuses every attempt) and a $1 day budget exceeded by one event; the silo is killed
    /// once the exceeded webhook was refused. Returns the budget and that midnight.
    /// </summary>
    private async Task<(string BudgetId, DateTimeOffset Midnight)> ExceedAMinuteBeforeMidnightAndKillAsync(WebhookReceiver receiver)
    {
        // Today's UTC midnight: the silos' clocks are shifted back to it (Orleans' membership would
        // declare a silo shifted ahead of the real clock dead).
        var midnight = new DateTimeOffset(TestClock.Now.UtcDateTime.Date, TimeSpan.Zero);
        receiver.Plan([.. Enumerable.Repeat(503, 10)]);
        string budgetId;
        await using (var first = await SiloProcess.StartAsync(_dataDirectory, [.. Settings, ProcessClock.At(midnight.AddMinutes(-1))]))
        {
            using var admin = new AdminClient(first.AdminUri, SiloFixture.Token);
            await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
            await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
            await admin.PutOkAsync("/api/v1/api-keys/k-1", """{"environment_id":"prod"}""");
            await admin.PutOkAsync("/api/v1/orgs/acme/webhooks/ops", $$"""{"url":"{{receiver.Url}}","events":["budget.exceeded","budget.cleared"]}""");
            budgetId = (string)(await admin.PostOkAsync("/api/v1/budgets", """
                {"org_id":"acme","name":"daily","scope":{"type":"api_key","ref":"k-1"},"limit_usd":"1","period":"day","mode":"hard_stop"}
                """))["id"]!;
            await GatewayClient.KeepIssuedAsync(admin, _dataDirectory);
            using var gateway = Gateway(first.DataPlaneUri);
            var status = await admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");
            var resets = DateTimeOffset.Parse((string)status["period_resets_at"]!, CultureInfo.InvariantCulture);
            await gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("over", resets.AddSeconds(-30), apiKeyId: "k-1", cost: "1.50")]));

            var refused = await receiver.NextAsync();
            Assert.Equal(503, refused.Status);
            Assert.Equal("budget.exceeded", (string)JsonNode.Parse(refused.Body)!["type"]!);
            Assert.True(resets == midnight, $"the budget's day must end at {midnight:O}, not {resets:O}");
            await first.KillAsync();
        }

        receiver.ClearPlan();
        return (budgetId, midnight);
    }

    /// <summary>The next request of that type answered with that status; earlier attempts (failed retries) are passed over.</summary>
    private static async Task<WebhookReceiver.Received> NextOfTypeAsync(WebhookReceiver receiver, string type, int status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var received = await receiver.NextAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if ((string)JsonNode.Parse(received.Body)!["type"]! == type && received.Status == status)
            {
                return received;
            }
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

    private GatewayClient Gateway(Uri dataPlane) => GatewayClient.FromFiles(dataPlane, _dataDirectory);
}
