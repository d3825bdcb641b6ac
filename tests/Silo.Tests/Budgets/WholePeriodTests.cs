using System.Globalization;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using static BudgetCluster.Silo.Tests.Budgets.BudgetSpendTests;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>
/// A budget counts its whole current period (API.md §4 v2): created mid-period, or re-scoped, it
/// starts from what its scope already spent in the ledger, and stays exact while gateways post.
/// </summary>
public sealed class WholePeriodTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task BudgetCreatedAfterTraffic_ShowsThePeriodsSpendAtOnce_AndNotOtherScopesOrUnboundKeys()
    {
        using var world = await silo.OnboardAsync();
        var key = $"k-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web"}""");
        await world.Gateway.PostTelemetryOkAsync(Batch("mine", 3, "0.25", key));
        await world.Gateway.PostTelemetryOkAsync(Batch("other", 2, "1.00", $"k-unbound-{world.Suffix}"));
        await world.Gateway.PostTelemetryOkAsync(Batch("earlier", 1, "9.00", key, TestClock.Now.AddDays(-2)));

        var keyBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "10", scope: "api_key", reference: key, period: "day"));
        var teamBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "10", scope: "team", reference: "web", period: "day"));
        var orgBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "2", period: "day"));

        Assert.Equal("0.75", (string)(await StatusAsync(world, keyBudget))["spent_usd"]!);
        Assert.Equal("0.75", (string)(await StatusAsync(world, teamBudget))["spent_usd"]!);
        // The org counts the unbound key's events too, and is over its limit from the start.
        Assert.Equal(("exceeded", true, "2.75"), State(await StatusAsync(world, orgBudget)));
    }

    [Fact]
    public async Task BudgetCreatedWhileGatewaysPost_CountsEveryEventOnce()
    {
        using var world = await silo.OnboardAsync();
        using var west = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west");
        var posted = 0m;
        using var stop = new CancellationTokenSource();
        var posting = Task.WhenAll(new[] { world.Gateway, west }.Select(async gateway =>
        {
            var sent = 0m;
            for (var i = 0; !stop.IsCancellationRequested || i < 5; i++)
            {
                await gateway.PostTelemetryOkAsync(Batch($"{gateway.DpId}-{i}", 5, "0.0101", "k-any"));
                sent += 5 * 0.0101m;
            }

            lock (stop)
            {
                posted += sent;
            }
        }));

        await Task.Delay(300);
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1000"));
        await Task.Delay(1500);
        await stop.CancelAsync();
        await posting;

        // Events stored while the gateways learned of the budget come in by its next re-base (1 s).
        Assert.Equal(posted, await SettledSpendAsync(world, id, posted));
        await AssertNoDriftAsync(world);
    }

    [Fact]
    public async Task Rescoping_AndChangingThePeriod_KeepTheSpendExact()
    {
        using var world = await silo.OnboardAsync();
        var (mine, colleague) = ($"k-me-{world.Suffix}", $"k-you-{world.Suffix}");
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{mine}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web"}""");
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{colleague}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web"}""");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "api_key", reference: mine));
        await world.Gateway.PostTelemetryOkAsync(Batch("a", 2, "0.50", mine));
        await world.Gateway.PostTelemetryOkAsync(Batch("b", 3, "0.10", colleague));
        Assert.Equal("1.00", (string)(await StatusAsync(world, id))["spent_usd"]!);

        await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", BudgetApiTests.Body(world, limit: "100", scope: "team", reference: "web"));
        Assert.Equal("1.30", (string)(await StatusAsync(world, id))["spent_usd"]!);
        await world.Gateway.PostTelemetryOkAsync(Batch("c", 1, "0.05", colleague));
        Assert.Equal("1.35", (string)(await StatusAsync(world, id))["spent_usd"]!);

        await world.Admin.PutOkAsync($"/api/v1/budgets/{id}", BudgetApiTests.Body(world, limit: "100", scope: "api_key", reference: mine, period: "day", timezone: "Asia/Kathmandu"));
        Assert.Equal("1.00", (string)(await StatusAsync(world, id))["spent_usd"]!);
        await world.Gateway.PostTelemetryOkAsync(Batch("d", 1, "0.01", mine));
        Assert.Equal("1.01", (string)(await SettledStatusAsync(world, id, "1.01"))["spent_usd"]!);
        await AssertNoDriftAsync(world);
    }

    private static async Task<decimal> SettledSpendAsync(TestWorld world, string id, decimal expected)
    {
        var spent = 0m;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            spent = decimal.Parse((string)(await StatusAsync(world, id))["spent_usd"]!, CultureInfo.InvariantCulture);
            if (spent == expected)
            {
                break;
            }
        }

        return spent;
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> SettledStatusAsync(TestWorld world, string id, string expected)
    {
        await SettledSpendAsync(world, id, decimal.Parse(expected, CultureInfo.InvariantCulture));
        return await StatusAsync(world, id);
    }

    private static async Task AssertNoDriftAsync(TestWorld world)
    {
        var report = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/reconciliation");
        Assert.False((bool)report["drift"]!, report.ToJsonString());
    }
}
