using BudgetCluster.TestSupport;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>budget_check and budget_events over real HTTPS with client certificates.</summary>
public sealed class BudgetCheckTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task HardStopDollarBudget_CrossedByUsage_DeniesWithTheAisixReasonAndPushesExceeded()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "frontend");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        var snapshot = await events.NextAsync();

        var before = await CheckAsync(world.Gateway, key);
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("spend", 4, "0.30", key));
        var threshold = await events.NextNamedAsync("budget.threshold");
        var exceeded = await events.NextNamedAsync("budget.exceeded");
        var after = await CheckAsync(world.Gateway, key);

        Assert.Equal("snapshot", snapshot.Name);
        Assert.Empty(snapshot.Data["budgets"]!.AsArray());
        Assert.True((bool)before["allow"]!);
        Assert.Equal("closed", (string)before["fail_mode"]!);
        Assert.Null(before["reason"]);
        Assert.Equal("1.00", (string)before["budget"]!["limit_usd"]!);
        Assert.Equal("1.00", (string)before["budget"]!["remaining_usd"]!);

        Assert.False((bool)after["allow"]!);
        Assert.Equal("closed", (string)after["fail_mode"]!);
        var reason = after["reason"]!;
        var resets = DateTimeOffset.Parse((string)reason["period_resets_at"]!, CultureInfo.InvariantCulture);
        Assert.Equal("billing_error", (string)reason["type"]!);
        Assert.Equal("budget_exceeded", (string)reason["code"]!);
        Assert.Equal($"api_key budget 'monthly' exceeded ($1.00/month). Resets {resets:yyyy-MM-dd} 00:00 UTC.", (string)reason["message"]!);
        Assert.Equal("api_key", (string)reason["scope"]!);
        Assert.Equal(key, (string)reason["scope_ref"]!);
        Assert.Equal(id, (string)reason["budget_id"]!);
        Assert.Equal("1.00", (string)reason["limit_usd"]!);
        Assert.Equal("1.20", (string)reason["spent_usd"]!);
        Assert.Equal("month", (string)reason["period"]!);
        Assert.Equal(1, resets.Day);
        Assert.InRange((long)reason["retry_after_seconds"]!, (long)(resets - TestClock.Now).TotalSeconds - 5, (long)(resets - TestClock.Now).TotalSeconds + 5);
        Assert.Equal("0.00", (string)after["budget"]!["remaining_usd"]!);
        Assert.Equal((long)reason["retry_after_seconds"]!, (long)after["budget"]!["reset_seconds"]!);

        Assert.Equal(id, (string)threshold.Data["budget_id"]!);
        Assert.Equal(0.8m, (decimal)threshold.Data["threshold"]!);
        Assert.Equal(id, (string)exceeded.Data["budget_id"]!);
        Assert.True((bool)exceeded.Data["blocking"]!);
        Assert.Equal("api_key", (string)exceeded.Data["scope"]!);
        Assert.Equal(key, (string)exceeded.Data["scope_ref"]!);
        Assert.Equal("hard_stop", (string)exceeded.Data["mode"]!);
        Assert.Equal("1.00", (string)exceeded.Data["limit_usd"]!);
        Assert.Equal("1.20", (string)exceeded.Data["spent_usd"]!);
        Assert.True((long)exceeded.Data["version"]! > (long)threshold.Data["version"]!);
        Assert.NotNull(exceeded.Data["period_start"]);
        Assert.NotNull(exceeded.Data["period_resets_at"]);
        Assert.NotNull(exceeded.Data["occurred_at"]);
    }

    [Fact]
    public async Task BudgetCrossedByABatch_IsDeniedByTheCheckRightAfterItsAcknowledgement()
    {
        // The data plane that acknowledged the crossing batch takes the budget's new status from the
        // grain's answer; the org stream (a few milliseconds later) is not waited for.
        using var world = await silo.OnboardAsync();
        var keys = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var key = await KeyAsync(world, $"k{i}");
            await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
            keys.Add(key);
        }

        Assert.True((bool)(await CheckAsync(world.Gateway, keys[0]))["allow"]!);
        foreach (var key in keys)
        {
            await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("cross-" + key, 1, "1.50", key));
            var after = await CheckAsync(world.Gateway, key);

            Assert.False((bool)after["allow"]!, $"{key} was still allowed right after its crossing batch was acknowledged");
            Assert.Equal("1.50", (string)after["reason"]!["spent_usd"]!);
        }
    }

    [Fact]
    public async Task WarnOnlyBudget_NeverDenies_ButTheSnapshotShowsItExceededAndNotBlocking()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "0.10", mode: "warn_only"));
        await using (var live = await SseClient.ConnectAsync(world.Gateway))
        {
            await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("w", 2, "0.25", key));
            Assert.False((bool)(await live.NextNamedAsync("budget.exceeded")).Data["blocking"]!);
        }

        var check = await CheckAsync(world.Gateway, key);
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        var snapshot = await events.NextAsync();

        Assert.True((bool)check["allow"]!);
        var budget = Assert.Single(snapshot.Data["budgets"]!.AsArray())!;
        Assert.Equal(id, (string)budget["budget_id"]!);
        Assert.Equal("exceeded", (string)budget["state"]!);
        Assert.False((bool)budget["blocking"]!);
        Assert.Equal("warn_only", (string)budget["mode"]!);
    }

    [Fact]
    public async Task RaisingTheLimit_AllowsAgainAndPushesCleared()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1"));
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("r", 2, "0.60", key));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        var snapshot = await events.NextAsync();
        var denied = await CheckAsync(world.Gateway, key);

        await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", BudgetApiTests.Body(world, limit: "2"));
        var cleared = await events.NextNamedAsync("budget.cleared");
        var allowed = await CheckAsync(world.Gateway, key);

        Assert.True((bool)Assert.Single(snapshot.Data["budgets"]!.AsArray())!["blocking"]!);
        Assert.False((bool)denied["allow"]!);
        Assert.Equal(id, (string)cleared.Data["budget_id"]!);
        Assert.False((bool)cleared.Data["blocking"]!);
        Assert.Equal("2.00", (string)cleared.Data["limit_usd"]!);
        Assert.True((bool)allowed["allow"]!);
        Assert.Equal("0.80", (string)allowed["budget"]!["remaining_usd"]!);
    }

    [Fact]
    public async Task DeletingAnExceededBudget_ClearsItAndAllowsAgain()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1"));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        await events.NextAsync();
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("d", 1, "2", key));
        await events.NextNamedAsync("budget.exceeded");
        Assert.False((bool)(await CheckAsync(world.Gateway, key))["allow"]!);

        using var deleted = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}"));
        var cleared = await events.NextNamedAsync("budget.cleared");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(id, (string)cleared.Data["budget_id"]!);
        Assert.False((bool)cleared.Data["blocking"]!);
        var allowed = await CheckAsync(world.Gateway, key);
        Assert.True((bool)allowed["allow"]!);
        Assert.Null(allowed["budget"]);
    }

    [Fact]
    public async Task SwitchingAnExceededBudgetToWarnOnly_ClearsBlocking()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1"));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        await events.NextAsync();
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("s", 1, "2", key));
        await events.NextNamedAsync("budget.exceeded");

        await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", BudgetApiTests.Body(world, limit: "1", mode: "warn_only"));
        var cleared = await events.NextNamedAsync("budget.cleared");

        Assert.False((bool)cleared.Data["blocking"]!);
        Assert.Equal("exceeded", (string)cleared.Data["state"]!);
        Assert.True((bool)(await CheckAsync(world.Gateway, key))["allow"]!);
    }

    [Fact]
    public async Task SeveralDenyingBudgets_TheReasonIsTheOneBlockedLongest()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", period: "day"));
        var monthly = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "environment", reference: world.EnvironmentId));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        await events.NextAsync();
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("x", 1, "1.50", key));
        await events.NextNamedAsync("budget.exceeded");
        await events.NextNamedAsync("budget.exceeded");

        var check = await CheckAsync(world.Gateway, key);

        Assert.False((bool)check["allow"]!);
        Assert.Equal(monthly, (string)check["reason"]!["budget_id"]!);
        Assert.Equal("environment", (string)check["reason"]!["scope"]!);
    }

    [Fact]
    public async Task ProviderKeyBudget_IsNotPartOfTheKeyCheck()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "0.01", scope: "provider_key", reference: "pk-anthropic"));
        var body = world.Fixture("stream-fallback-anthropic.json").Replace("\"k-frontend\"", $"\"{key}\"", StringComparison.Ordinal);
        await world.Gateway.PostTelemetryOkAsync(body);

        Assert.True((bool)(await CheckAsync(world.Gateway, key))["allow"]!);
    }

    [Fact]
    public async Task BudgetCheck_KeyUnknownOrOfAnotherEnvironment_Is403_AndMissingKeyIs400()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();
        var foreignKey = await KeyAsync(other, "theirs");

        using var unknown = await world.Gateway.BudgetCheckAsync("k-nobody");
        using var foreign = await world.Gateway.BudgetCheckAsync(foreignKey);
        using var missing = await world.Gateway.BudgetCheckAsync("");

        Assert.Equal($"api key 'k-nobody' is not registered in environment '{world.EnvironmentId}'", await Http.ReadProblemAsync(unknown, HttpStatusCode.Forbidden));
        Assert.Equal($"api key '{foreignKey}' is not registered in environment '{world.EnvironmentId}'", await Http.ReadProblemAsync(foreign, HttpStatusCode.Forbidden));
        Assert.Equal("query parameter 'api_key_id' is required", await Http.ReadProblemAsync(missing, HttpStatusCode.BadRequest));
        Assert.True((bool)(await CheckAsync(other.Gateway, foreignKey))["allow"]!);
    }

    [Fact]
    public async Task KeyRegisteredJustNow_IsKnownToTheNextCheck()
    {
        using var world = await silo.OnboardAsync();
        await KeyAsync(world, "first");
        Assert.True((bool)(await CheckAsync(world.Gateway, $"first-{world.Suffix}"))["allow"]!);

        var late = await KeyAsync(world, "late");
        await Task.Delay(TimeSpan.FromSeconds(1.1));

        Assert.True((bool)(await CheckAsync(world.Gateway, late))["allow"]!);
    }

    [Fact]
    public async Task EnvironmentB_SeesNeitherEnvironmentAsEventsNorItsDecisions()
    {
        using var world = await silo.OnboardAsync();
        var envB = $"envb-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/environments/{envB}", $$"""{"org_id":"{{world.OrgId}}","name":"B"}""");
        using var gatewayB = await TestWorld.IssueGatewayAsync(silo, world.Admin, envB, "dp-b");
        var keyA = await KeyAsync(world, "a");
        await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "environment", reference: world.EnvironmentId));
        await using var eventsA = await SseClient.ConnectAsync(world.Gateway);
        await using var eventsB = await SseClient.ConnectAsync(gatewayB);
        await eventsA.NextAsync();
        await eventsB.NextAsync();

        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("a", 1, "2", keyA));
        await eventsA.NextNamedAsync("budget.exceeded");
        using var decisionFromB = await gatewayB.BudgetCheckAsync(keyA);

        await Http.ReadProblemAsync(decisionFromB, HttpStatusCode.Forbidden);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(eventsB.TryNext(out var leaked), $"environment B received {leaked}");
    }

    [Fact]
    public async Task BudgetEvents_ResumeWithLastEventId_GetsTheMissedTransitionWithoutASnapshot()
    {
        using var world = await silo.OnboardAsync();
        var key = await KeyAsync(world, "k");
        await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", thresholds: "[0.5]"));
        string lastId;
        await using (var first = await SseClient.ConnectAsync(world.Gateway))
        {
            await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("t", 1, "0.60", key));
            lastId = (await first.NextNamedAsync("budget.threshold")).Id!;
        }

        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("e", 1, "0.60", key));
        await using var resumed = await SseClient.ConnectAsync(world.Gateway, lastId);
        var missed = await resumed.NextAsync();
        await using var stranger = await SseClient.ConnectAsync(world.Gateway, "another-process.7");
        var fresh = await stranger.NextAsync();

        Assert.Equal("budget.exceeded", missed.Name);
        Assert.Equal("snapshot", fresh.Name);
        Assert.Equal("exceeded", (string)Assert.Single(fresh.Data["budgets"]!.AsArray())!["state"]!);
    }

    [Fact]
    public async Task BudgetEvents_IsAnEventStream()
    {
        using var world = await silo.OnboardAsync();

        await using var events = await SseClient.ConnectAsync(world.Gateway);

        Assert.Equal(HttpStatusCode.OK, events.Response.StatusCode);
        Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("snapshot", (await events.NextAsync()).Name);
    }

    internal static async Task<string> KeyAsync(TestWorld world, string name)
    {
        var key = $"{name}-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web","user_id":"ana"}""");
        return key;
    }

    internal static async Task<JsonNode> CheckAsync(GatewayClient gateway, string apiKeyId)
    {
        using var response = await gateway.BudgetCheckAsync(apiKeyId);
        return await Http.ReadOkAsync(response);
    }
}
