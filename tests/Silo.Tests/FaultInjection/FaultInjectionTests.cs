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
        Assert.True(scenario.Retries > 0, "PostgreSQL was down for 3 s while gateways were sending: some sends must have been refused");
        await scenario.AssertExactlyOnceAsync(acknowledged);
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
