using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>D2 on demand: live budget spend and gateway totals against the usage ledger.</summary>
public sealed class ReconciliationTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Reconcile_AfterTrafficFromSeveralGateways_ShowsNoDrift()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var orgBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100"));
        var keyBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", scope: "api_key", reference: key));
        using var second = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-2");
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("a", 5, "0.013", key));
        await second.PostTelemetryOkAsync(BudgetSpendTests.Batch("b", 7, "0.0021", key));

        var report = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/reconciliation");

        Assert.False((bool)report["drift"]!, report.ToJsonString());
        var budgets = report["budgets"]!.AsArray();
        Assert.Equal("0.0845075", (string)budgets.Single(b => (string)b!["budget_id"]! == orgBudget)!["ledger_spent_usd"]!);
        Assert.Equal("0.0797", (string)budgets.Single(b => (string)b!["budget_id"]! == keyBudget)!["live_spent_usd"]!);
        var gateways = report["gateways"]!.AsArray();
        Assert.Equal(2, gateways.Count);
        Assert.Equal(6, (long)gateways.Single(g => (string)g!["dp_id"]! == "dp-east-1")!["ledger_events"]!);
        Assert.All(gateways, g => Assert.Equal("0.00", (string)g!["drift_usd"]!));
    }

    [Fact]
    public async Task Reconcile_ARowTheGrainsNeverCounted_IsReportedAsDrift()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        // A row written behind the cluster's back, as a broken writer might leave it.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(silo.DataDirectory, "ledger.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO usage_ledger (
                    environment_id, request_id, attempt_index, dp_id, seq, occurred_at_ms, received_at_ms,
                    model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
                    cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
                    upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit, pos)
                VALUES ($env, 'rogue', 0, 'dp-east-1', 999999, 0, 0, '', '', 1, 1, 0, 0, 0, 0, 200, 1, '0.5', '0', 0, 0,
                        (SELECT coalesce(max(pos), 0) + 1000000 FROM usage_ledger))
                """;
            insert.Parameters.AddWithValue("$env", world.EnvironmentId);
            await insert.ExecuteNonQueryAsync();
        }

        var report = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/reconciliation");

        Assert.True((bool)report["drift"]!);
        var gateway = Assert.Single(report["gateways"]!.AsArray())!;
        Assert.Equal(1, (long)gateway["live_events"]!);
        Assert.Equal(2, (long)gateway["ledger_events"]!);
        Assert.Equal("-0.50", (string)gateway["drift_usd"]!);
    }

    [Fact]
    public async Task Reconcile_UnknownOrg_Is404()
    {
        using var admin = silo.Admin();

        using var response = await admin.GetAsync("/api/v1/orgs/org-missing/reconciliation");

        Assert.Equal("org 'org-missing' not found", await Http.ReadProblemAsync(response, HttpStatusCode.NotFound));
    }
}
