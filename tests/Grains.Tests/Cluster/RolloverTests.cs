using System.Collections.Immutable;
using System.Diagnostics;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>A cluster of its own whose clock the tests move, and whose budgets look at it every 200 ms.</summary>
public sealed class MovableClockClusterFixture : SiloClusterFixture<MovableClockClusterFixture.Configurator>
{
    public static MovableClock Clock { get; } = new();

    public sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            GrainClusterFixture.AddBudgetClusterGrains(siloBuilder, Files.File("ledger.db"), Clock);
            siloBuilder.Services.Configure<BudgetGrainOptions>(options => options.RolloverCheckInterval = TimeSpan.FromMilliseconds(200));
        }
    }
}

public sealed class RolloverTests(MovableClockClusterFixture fixture) : IClassFixture<MovableClockClusterFixture>
{
    [Fact]
    public async Task RolloverTimer_WriteFailsAtThePeriodEnd_RetriesAndClearsOnceStorageIsBack()
    {
        var clock = MovableClockClusterFixture.Clock;
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        var budget = fixture.Cluster.GrainFactory.GetGrain<IBudgetGrain>(id);
        var defined = await budget.DefineBudgetAsync(new BudgetPolicy
        {
            OrgId = "org-" + id,
            Name = "daily",
            Scope = new BudgetScope(ScopeType.Org, "org-" + id),
            LimitUsd = 1m,
            Period = BudgetPeriod.Day,
            Mode = BudgetMode.HardStop,
            TimeZone = "UTC",
            Thresholds = ImmutableArray.Create(0.8m),
        });
        var exceeded = await budget.ApplyUsageAsync(new BudgetUsage
        {
            Gateway = "env/dp",
            FromSequence = 1,
            ToSequence = 1,
            Amounts = [new PeriodAmount(defined.PeriodStart, 1.50m)],
        });
        Assert.True(exceeded!.Blocking);

        FaultyGrainStorage.FailWrites(budget.GetGrainId());
        clock.Advance(defined.PeriodResetsAt - clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(1)); // several failed attempts at 200 ms
        Assert.Equal(defined.PeriodStart, (await GrainClusterFixture.StoredBudgetAsync(fixture.Cluster, id)).PeriodStart);
        FaultyGrainStorage.Heal(budget.GetGrainId());

        // Nothing calls the budget: its timer alone stores the rollover.
        var watch = Stopwatch.StartNew();
        BudgetGrainState stored;
        while ((stored = await GrainClusterFixture.StoredBudgetAsync(fixture.Cluster, id)).PeriodStart == defined.PeriodStart && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.Equal(defined.PeriodResetsAt, stored.PeriodStart);
        Assert.False(stored.NotifiedBlocking);
        var status = await budget.GetBudgetStatusAsync();
        Assert.Equal((false, 0m), (status!.Blocking, status.SpentUsd));
    }
}
