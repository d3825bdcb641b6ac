using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using static BudgetCluster.Silo.Tests.DataPlane.TelemetryRejectionTests;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>
/// The usage verification path of the gateway detail: why events were rejected, and budget denials
/// told apart from upstream failures, through the real data plane and admin API.
/// </summary>
public sealed class GatewayHealthTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private static readonly string[] Reasons =
        ["future_occurred_at", "invalid_field", "missing_field", "not_an_object", "too_old", "unclassified", "unpriceable", "unstorable"];

    [Fact]
    public async Task PostTelemetry_InvalidEvents_AreCountedByReasonAndEachRejectionNamesIt()
    {
        using var world = await silo.OnboardAsync();
        var body = new JsonObject
        {
            ["events"] = new JsonArray(
                Event("good"),
                Without(Event("no-key"), "api_key_id"),
                Without(Event("no-status"), "status_code"),
                With(Event("bad-type"), "prompt_tokens", "lots"),
                With(Event("future"), "occurred_at", UsageEvents.Timestamp(TestClock.Now.AddMinutes(10))),
                With(Event("old"), "occurred_at", UsageEvents.Timestamp(TestClock.Now.AddDays(-40))),
                JsonValue.Create(7)),
        };

        var answer = await world.Gateway.PostTelemetryOkAsync(body.ToJsonString());

        Assert.Equal(1, (int)answer["accepted"]!);
        Assert.Equal(
            ["missing_field", "missing_field", "invalid_field", "future_occurred_at", "too_old", "not_an_object"],
            answer["rejected"]!.AsArray().Select(r => (string)r!["reason"]!));
        var telemetry = (await world.GatewayDetailAsync())["telemetry"]!;
        var byReason = telemetry["events_rejected_by_reason"]!.AsObject();
        Assert.Equal(Reasons, byReason.Select(pair => pair.Key));
        Assert.Equal(2, (long)byReason["missing_field"]!);
        Assert.Equal(1, (long)byReason["invalid_field"]!);
        Assert.Equal(1, (long)byReason["future_occurred_at"]!);
        Assert.Equal(1, (long)byReason["too_old"]!);
        Assert.Equal(1, (long)byReason["not_an_object"]!);
        Assert.Equal(0, (long)byReason["unstorable"]!);
        Assert.Equal(6, (long)telemetry["events_rejected"]!);
        Assert.Equal(1, (long)telemetry["events_accepted"]!);
    }

    [Fact]
    public async Task PostTelemetry_FreshGateway_ShowsEveryReasonAtZeroAndNoErrors()
    {
        using var world = await silo.OnboardAsync();

        var detail = await world.GatewayDetailAsync();

        var byReason = detail["telemetry"]!["events_rejected_by_reason"]!.AsObject();
        Assert.Equal(Reasons, byReason.Select(pair => pair.Key));
        Assert.All(byReason, pair => Assert.Equal(0, (long)pair.Value!));
        Assert.Equal(0, (long)detail["usage"]!["errors"]!);
        Assert.Equal(0, (long)detail["usage"]!["budget_denied"]!);
    }

    [Fact]
    public async Task PostTelemetry_BudgetDeniedAndUpstream503_AreBothErrorsButOnlyTheFirstABudgetDenial()
    {
        using var world = await silo.OnboardAsync();

        await world.Gateway.PostTelemetryOkAsync(world.Fixture("budget-denied.json"));
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("stream-fallback-anthropic.json"));
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));

        var detail = await world.GatewayDetailAsync();
        // budget-denied: 429 billing_error; stream-fallback: a 503 attempt, then a 200 fallback; chat: 200
        Assert.Equal(2, (long)detail["usage"]!["errors"]!);
        Assert.Equal(1, (long)detail["usage"]!["budget_denied"]!);
        Assert.Equal(3, (long)detail["usage"]!["requests"]!);
        Assert.Equal(4, (long)detail["telemetry"]!["events_accepted"]!);
        // k-frontend is bound to no environment of this world
        Assert.Equal(4, (long)detail["telemetry"]!["events_unbound_key"]!);
    }

    [Fact]
    public async Task KillDashNine_ThenRestart_KeepsRejectionReasonsErrorsAndBudgetDenials()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "bc-health-" + Guid.NewGuid().ToString("N"));
        string[] settings = ["--Gateways:SnapshotInterval=00:00:01"];
        try
        {
            JsonNode before;
            await using (var first = await SiloProcess.StartAsync(dataDirectory, settings))
            {
                using var admin = new AdminClient(first.AdminUri, SiloFixture.Token);
                await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
                await admin.PutOkAsync("/api/v1/environments/prod", """{"org_id":"acme","name":"Prod"}""");
                using var gateway = await GatewayClient.IssueAsync(admin, first.DataPlaneUri, "prod", "dp-1");
                await gateway.PostTelemetryOkAsync(UsageEvents.Body([
                    Event("ok-1"), Failed("denied-1", 429, "billing_error"), Without(Event("no-key"), "api_key_id"),
                    With(Event("old"), "occurred_at", UsageEvents.Timestamp(TestClock.Now.AddDays(-40)))]));
                // Rejections are health counters kept by the snapshot: this lets one be taken. What
                // follows is only in the ledger when the process dies, and comes back by replay.
                await Task.Delay(TimeSpan.FromSeconds(2.5));
                await gateway.PostTelemetryOkAsync(UsageEvents.Body([
                    Failed("upstream-1", 503, "upstream_status"), Failed("denied-2", 429, "billing_error"),
                    Failed("rate-limited", 429, "upstream_status")]));
                before = await admin.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");
                await first.KillAsync();
            }

            Assert.Equal(4, (long)before["usage"]!["errors"]!);
            Assert.Equal(2, (long)before["usage"]!["budget_denied"]!);

            await using var second = await SiloProcess.StartAsync(dataDirectory, settings);
            using var adminAgain = new AdminClient(second.AdminUri, SiloFixture.Token);
            var after = await adminAgain.GetOkAsync("/api/v1/environments/prod/gateways/dp-1");
            Assert.Equal(before["usage"]!.ToJsonString(), after["usage"]!.ToJsonString());
            Assert.Equal(
                before["telemetry"]!["events_rejected_by_reason"]!.ToJsonString(),
                after["telemetry"]!["events_rejected_by_reason"]!.ToJsonString());
            Assert.Equal(1, (long)after["telemetry"]!["events_rejected_by_reason"]!["missing_field"]!);
            Assert.Equal(1, (long)after["telemetry"]!["events_rejected_by_reason"]!["too_old"]!);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static JsonObject Failed(string requestId, int status, string errorClass)
    {
        var e = UsageEvents.Event(requestId, promptTokens: 0, completionTokens: 0);
        e["status_code"] = status;
        e["error_class"] = errorClass;
        return e;
    }
}
