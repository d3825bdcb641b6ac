using System.Net;
using BudgetCluster.Silo.Tests.Budgets;
using BudgetCluster.Silo.Tests.Infrastructure;
using Npgsql;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>The product's behaviour with Storage:Provider=PostgreSql, chosen by configuration only.</summary>
public sealed class PostgresModeTests(PostgresSiloFixture silo) : IClassFixture<PostgresSiloFixture>
{
    [Fact]
    public async Task Telemetry_IsPricedDeduplicatedAndStoredInThePostgresLedger()
    {
        using var world = await silo.OnboardAsync();

        var first = await world.Gateway.PostTelemetryOkAsync(world.Fixture("stream-fallback-anthropic.json"));
        var again = await world.Gateway.PostTelemetryOkAsync(world.Fixture("stream-fallback-anthropic.json"));

        Assert.Equal(2, (int)first["accepted"]!);
        Assert.Equal(2, (int)again["duplicates"]!);
        Assert.Equal("0.020295", (string)(await world.GatewayDetailAsync())["usage"]!["spend_usd"]!);
        await using var dataSource = NpgsqlDataSource.Create(silo.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT count(*), sum(cost_usd) FROM usage_ledger WHERE environment_id = @env");
        command.Parameters.AddWithValue("env", world.EnvironmentId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(2L, reader.GetInt64(0));
        Assert.Equal(0.020295m, reader.GetDecimal(1));
    }

    [Fact]
    public async Task Budget_ExceededByUsage_DeniesTheKey()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        await events.NextAsync();

        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("p", 2, "0.75", key));
        await events.NextNamedAsync("budget.exceeded");

        var check = await BudgetCheckTests.CheckAsync(world.Gateway, key);
        Assert.False((bool)check["allow"]!);
        Assert.Equal(id, (string)check["reason"]!["budget_id"]!);
        Assert.Equal(("exceeded", true, "1.50"), BudgetSpendTests.State(await BudgetSpendTests.StatusAsync(world, id)));
        var report = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/reconciliation");
        Assert.False((bool)report["drift"]!, report.ToJsonString());
        Assert.Equal("1.50", (string)report["budgets"]![0]!["ledger_spent_usd"]!);
    }

    [Fact]
    public async Task AdminDefinitions_AreStoredInPostgres()
    {
        using var world = await silo.OnboardAsync();

        using var unknown = await world.Admin.GetAsync("/api/v1/orgs/org-nope");

        await Http.ReadProblemAsync(unknown, HttpStatusCode.NotFound);
        await using var dataSource = NpgsqlDataSource.Create(silo.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM grain_state");
        Assert.True((long)(await command.ExecuteScalarAsync())! > 0);
    }
}
