using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Xunit.Abstractions;

namespace BudgetCluster.Silo.Tests.FaultInjection;

/// <summary>
/// D1 and D2 under failures, with real processes on PostgreSQL: whatever a gateway had
/// acknowledged is in the ledger exactly once, and every budget and gateway total equals the ledger.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-fault-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task KillASiloMidStream_EveryAcknowledgedEventCountsExactlyOnce()
    {
        await using var scenario = await FaultScenario.StartAsync(await PostgresServer.Instance.CreateDatabaseAsync("fault"), _dataDirectory);

        var acknowledged = await scenario.StreamAsync(TimeSpan.FromSeconds(1.5), () => scenario.Victim.KillAsync());

        output.WriteLine($"{acknowledged.Count} events acknowledged; {scenario.Retries} sends were sent again");
        await scenario.AssertExactlyOnceAsync(acknowledged);
    }

    [Fact]
    public async Task KillASilo_BudgetsComeBackWithTheirSpendAndPushesContinue()
    {
        await using var scenario = await FaultScenario.StartAsync(await PostgresServer.Instance.CreateDatabaseAsync("fault"), _dataDirectory);
        var budgetId = (string)(await scenario.Admin.PostOkAsync("/api/v1/budgets", """
            {"org_id":"acme","name":"key","scope":{"type":"api_key","ref":"k"},"limit_usd":"0.05","period":"month","mode":"hard_stop"}
            """))["id"]!;
        await using var events = await SseClient.ConnectAsync(scenario.Gateway(0));
        await events.NextAsync();
        await scenario.SendUntilAcknowledgedAsync(0, 1000);
        var before = await scenario.Admin.GetOkAsync($"/api/v1/budgets/{budgetId}/status");

        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killing the victim");
        await scenario.Victim.KillAsync();
        // Wherever the budget lived, it answers again with the spend it had.
        JsonNode after = null!;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await scenario.Admin.GetAsync($"/api/v1/budgets/{budgetId}/status");
            if (response.IsSuccessStatusCode)
            {
                after = await Http.ReadOkAsync(response);
                break;
            }

            await Task.Delay(100);
        }

        await scenario.SendUntilAcknowledgedAsync(1, 1001);
        await scenario.SendUntilAcknowledgedAsync(2, 1002);
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} the batches that cross the limit were acknowledged");
        // The stream queues of the killed silo move to the survivor within seconds; on a loaded
        // machine that can take longer than the budget's own recovery.
        var exceeded = await NextOrExplainAsync(scenario, events, "budget.exceeded", TimeSpan.FromSeconds(45));
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} the transition was pushed");
        await using var fresh = await SseClient.ConnectAsync(scenario.Gateway(3));
        var snapshot = await fresh.NextAsync();
        var check = await Budgets.BudgetCheckTests.CheckAsync(scenario.Gateway(3), "k");

        Assert.Equal("0.02", (string)before["spent_usd"]!);
        Assert.Equal("0.02", (string)after["spent_usd"]!);
        Assert.Equal(budgetId, (string)exceeded.Data["budget_id"]!);
        Assert.Equal("0.06", (string)exceeded.Data["spent_usd"]!);
        Assert.Contains(snapshot.Data["budgets"]!.AsArray(), b => (string)b!["budget_id"]! == budgetId && (bool)b["blocking"]!);
        Assert.False((bool)check["allow"]!);
    }

    [Fact]
    public async Task KillTheIngressMidStream_AndStartAnother_EveryAcknowledgedEventCountsExactlyOnce()
    {
        await using var scenario = await FaultScenario.StartAsync(await PostgresServer.Instance.CreateDatabaseAsync("fault"), _dataDirectory);

        var acknowledged = await scenario.StreamAsync(TimeSpan.FromSeconds(1.5), () => scenario.ReplaceIngressAsync());

        output.WriteLine($"{acknowledged.Count} events acknowledged; {scenario.Retries} sends were sent again");
        Assert.True(scenario.Retries > 0, "the ingress was killed while gateways were sending: some sends must have failed");
        await scenario.AssertExactlyOnceAsync(acknowledged);
    }

    [Fact]
    public async Task PostgresKilledAndRestartedMidStream_EveryAcknowledgedEventCountsExactlyOnce()
    {
        using var postgres = PostgresServer.StartDedicated();
        await using var scenario = await FaultScenario.StartAsync(await postgres.CreateDatabaseAsync("fault"), _dataDirectory);

        var acknowledged = await scenario.StreamAsync(TimeSpan.FromSeconds(1.5), async () =>
        {
            postgres.Kill();
            await Task.Delay(TimeSpan.FromSeconds(3));
            postgres.Restart();
        });

        output.WriteLine($"{acknowledged.Count} events acknowledged; {scenario.Retries} sends were sent again");
        Assert.True(scenario.UnavailableWithRetryAfter > 0, "PostgreSQL was down for 3 s while gateways were sending: some sends must have been answered 503 with Retry-After");
        await scenario.AssertExactlyOnceAsync(acknowledged);
    }

    /// <summary>The next event of that name; if none comes, the processes' logs go to the test output with the failure.</summary>
    private async Task<SseEvent> NextOrExplainAsync(FaultScenario scenario, SseClient events, string name, TimeSpan timeout)
    {
        try
        {
            return await events.NextNamedAsync(name, timeout);
        }
        catch (TimeoutException)
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} no {name} arrived; survivor log:\n{scenario.Survivor.ReadLog()}\ningress log:\n{scenario.Ingress.ReadLog()}");
            throw;
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
}
