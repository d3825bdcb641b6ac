using BudgetCluster.TestSupport;
using System.Globalization;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>Accepted usage moves the right budgets at once, exactly, and their states follow the rules.</summary>
public sealed class BudgetSpendTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task HardStopApiKeyBudget_CrossedByUsage_GoesWarningThenExceededAndBlocking()
    {
        using var world = await silo.OnboardAsync();
        await world.Admin.PutOkAsync($"/api/v1/api-keys/k-{world.Suffix}", $$"""{"environment_id":"{{world.EnvironmentId}}"}""");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: $"k-{world.Suffix}"));

        await world.Gateway.PostTelemetryOkAsync(Batch("a", 2, "0.30", $"k-{world.Suffix}"));
        var belowThreshold = await StatusAsync(world, id);
        await world.Gateway.PostTelemetryOkAsync(Batch("b", 1, "0.30", $"k-{world.Suffix}"));
        var warned = await StatusAsync(world, id);
        await world.Gateway.PostTelemetryOkAsync(Batch("c", 1, "0.10", $"k-{world.Suffix}"));
        var exceeded = await StatusAsync(world, id);

        Assert.Equal(("ok", false, "0.60"), State(belowThreshold));
        Assert.Equal(("warning", false, "0.90"), State(warned));
        Assert.Equal(("exceeded", true, "1.00"), State(exceeded));
        Assert.Equal("0.00", (string)exceeded["remaining_usd"]!);
        Assert.Equal(2, (long)exceeded["version"]!);
    }

    [Fact]
    public async Task WarnOnlyBudget_OverTheLimit_IsExceededButNotBlocking()
    {
        using var world = await silo.OnboardAsync();
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "0.50", mode: "warn_only"));

        await world.Gateway.PostTelemetryOkAsync(Batch("w", 3, "0.25", "k-any"));

        Assert.Equal(("exceeded", false, "0.75"), State(await StatusAsync(world, id)));
    }

    [Fact]
    public async Task RaisingTheLimitAboveSpend_ClearsAndReplacingKeepsTheSpend()
    {
        using var world = await silo.OnboardAsync();
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1"));
        await world.Gateway.PostTelemetryOkAsync(Batch("r", 5, "0.25", "k-any"));
        var exceeded = await StatusAsync(world, id);

        await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", BudgetApiTests.Body(world, limit: "5"));
        var raised = await StatusAsync(world, id);

        Assert.Equal(("exceeded", true, "1.25"), State(exceeded));
        Assert.Equal(("ok", false, "1.25"), State(raised));
        Assert.True((long)raised["version"]! > (long)exceeded["version"]!);
    }

    [Fact]
    public async Task EnvironmentAndOrgBudgets_CountOnlyTheirScope()
    {
        using var world = await silo.OnboardAsync();
        var orgBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100"));
        var envBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "environment", reference: world.EnvironmentId));
        var otherKey = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "api_key", reference: "k-nobody"));

        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));

        Assert.Equal("0.0048075", (string)(await StatusAsync(world, orgBudget))["spent_usd"]!);
        Assert.Equal("0.0048075", (string)(await StatusAsync(world, envBudget))["spent_usd"]!);
        Assert.Equal("0.00", (string)(await StatusAsync(world, otherKey))["spent_usd"]!);
    }

    [Fact]
    public async Task KeyOfAnotherEnvironment_CountsInOrgBudgetAndAsUnbound_NeverInThatKeysBudget()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k-prod");
        var keyBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
        var teamBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "team", reference: "web"));
        var orgBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100"));
        var dev = $"env-dev-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/environments/{dev}", $$"""{"org_id":"{{world.OrgId}}","name":"Dev"}""");
        using var devGateway = await TestWorld.IssueGatewayAsync(silo, world.Admin, dev, "dp-dev");

        var answer = await devGateway.PostTelemetryOkAsync(Batch("foreign", 1, "5.00", key));

        Assert.Equal(1, (int)answer["accepted"]!);
        Assert.Equal("0.00", (string)(await StatusAsync(world, keyBudget))["spent_usd"]!);
        Assert.Equal("0.00", (string)(await StatusAsync(world, teamBudget))["spent_usd"]!);
        Assert.Equal("5.00", (string)(await StatusAsync(world, orgBudget))["spent_usd"]!);
        Assert.True((bool)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["allow"]!);
        var detail = await world.Admin.GetOkAsync($"/api/v1/environments/{dev}/gateways/dp-dev");
        Assert.Equal(1, (long)detail["telemetry"]!["events_unbound_key"]!);
        Assert.Equal(0, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_unbound_key"]!);
    }

    [Fact]
    public async Task TeamBudget_CollectsFromEveryEnvironmentOfTheOrg()
    {
        using var world = await silo.OnboardAsync();
        var secondEnvironment = $"env2-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/environments/{secondEnvironment}", $$"""{"org_id":"{{world.OrgId}}","name":"Staging"}""");
        await world.Admin.PutOkAsync($"/api/v1/api-keys/k-prod-{world.Suffix}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web","user_id":"ana"}""");
        await world.Admin.PutOkAsync($"/api/v1/api-keys/k-stg-{world.Suffix}", $$"""{"environment_id":"{{secondEnvironment}}","team_id":"web"}""");
        using var staging = await TestWorld.IssueGatewayAsync(silo, world.Admin, secondEnvironment, "dp-stg");
        var team = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "team", reference: "web"));
        var member = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "member", reference: "ana"));

        await world.Gateway.PostTelemetryOkAsync(Batch("p", 2, "1.10", $"k-prod-{world.Suffix}"));
        await staging.PostTelemetryOkAsync(Batch("s", 3, "0.01", $"k-stg-{world.Suffix}"));

        Assert.Equal("2.23", (string)(await StatusAsync(world, team))["spent_usd"]!);
        Assert.Equal("2.20", (string)(await StatusAsync(world, member))["spent_usd"]!);
    }

    [Fact]
    public async Task LateEvent_CountsTowardThePeriodItOccurredIn_NotTheCurrentOne()
    {
        using var world = await silo.OnboardAsync();
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "10", period: "day"));

        await world.Gateway.PostTelemetryOkAsync(Batch("old", 1, "4.00", "k-any", TestClock.Now.AddDays(-3)));
        await world.Gateway.PostTelemetryOkAsync(Batch("now", 1, "1.00", "k-any"));

        Assert.Equal("1.00", (string)(await StatusAsync(world, id))["spent_usd"]!);
    }

    [Fact]
    public async Task TenGatewaysConcurrently_OrgBudgetSpendIsTheExactSum()
    {
        using var world = await silo.OnboardAsync();
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1000000"));
        var gateways = await Task.WhenAll(Enumerable.Range(0, 10).Select(g => TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, $"dp-{g}")));
        var expected = 0m;
        var batches = new List<(GatewayClient Gateway, string Body)>();
        for (var g = 0; g < 10; g++)
        {
            for (var b = 0; b < 10; b++)
            {
                var cost = (((g * 10) + b + 1) * 0.000137m).ToString(CultureInfo.InvariantCulture);
                batches.Add((gateways[g], Batch($"g{g}-b{b}", 20, cost, "k-any")));
                expected += 20 * decimal.Parse(cost, CultureInfo.InvariantCulture);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 10).Select(async g =>
        {
            foreach (var (_, body) in batches.Where(x => x.Gateway == gateways[g]))
            {
                await gateways[g].PostTelemetryOkAsync(body);
            }
        }));

        var spent = decimal.Parse((string)(await StatusAsync(world, id))["spent_usd"]!, CultureInfo.InvariantCulture);
        Assert.Equal(expected, spent);
        foreach (var gateway in gateways)
        {
            gateway.Dispose();
        }
    }

    internal static Task<JsonNode> StatusAsync(TestWorld world, string budgetId) =>
        world.Admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");

    internal static (string State, bool Blocking, string Spent) State(JsonNode status) =>
        ((string)status["state"]!, (bool)status["blocking"]!, (string)status["spent_usd"]!);

    /// <summary>Events with a reported cost, so each costs exactly <paramref name="cost"/>.</summary>
    internal static string Batch(string prefix, int count, string cost, string apiKeyId, DateTimeOffset? occurredAt = null) =>
        UsageEvents.Body(Enumerable.Range(0, count).Select(i => UsageEvents.Event(
            $"{prefix}-{i}-{Guid.NewGuid():N}",
            occurredAt ?? TestClock.Now,
            apiKeyId: apiKeyId,
            promptTokens: 10,
            completionTokens: 10,
            cost: cost)));
}
