using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.TestSupport;
using Orleans.Core.Internal;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// Exactly once into a budget whatever the order of commit, deactivation and delivery: the rows a
/// gateway committed reach a budget both through the ledger (its catch-up on activation) and as
/// the gateway's delta, and each row counts once.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class BudgetRecoveryTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task ApplyUsage_ReactivatedBetweenCommitAndDelivery_CountsEachRowOnce()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var (budget, id) = await DefineAsync(BudgetPeriod.Day);
        var today = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Day, TimeZoneInfo.Utc);
        var tenDaysAgo = PeriodCalendar.Containing(TestClock.Now.AddDays(-10), BudgetPeriod.Day, TimeZoneInfo.Utc);
        // One batch: a row of today and a late row of ten days ago, committed, not yet delivered.
        var gateway = "env-" + id + "/dp";
        var rows = new[] { Row(gateway, 1, 1.00m, TestClock.Now, id, today.Start), Row(gateway, 2, 2.00m, TestClock.Now.AddDays(-10), id, tenDaysAgo.Start) };
        var committed = await cluster.Ledger.AppendAsync(rows);
        Assert.Equal([true, true], committed);

        await DeactivateAsync(budget);
        var delta = BudgetDeltas.FromBatch(gateway, rows, [true, true]).Single().Usage;
        await budget.ApplyUsageAsync(delta);
        await budget.ApplyUsageAsync(delta);

        Assert.Equal(1.00m, (await budget.GetBudgetStatusAsync())!.SpentUsd);
    }

    [Fact]
    public async Task ApplyUsage_DeltaBeforeReactivation_IsNotCountedAgainFromTheLedger()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var (budget, id) = await DefineAsync(BudgetPeriod.Month);
        var month = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Month, TimeZoneInfo.Utc);
        var gateway = "env-" + id + "/dp";
        var rows = new[] { Row(gateway, 1, 0.25m, TestClock.Now, id, month.Start), Row(gateway, 2, 0.50m, TestClock.Now, id, month.Start) };
        await cluster.Ledger.AppendAsync(rows);
        await budget.ApplyUsageAsync(BudgetDeltas.FromBatch(gateway, rows, [true, true]).Single().Usage);

        await DeactivateAsync(budget);

        Assert.Equal(0.75m, (await budget.GetBudgetStatusAsync())!.SpentUsd);
    }

    [Fact]
    public async Task ApplyUsage_LateEventsOverAThousandDays_KeepTheSnapshotToThreePeriods()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var (budget, id) = await DefineAsync(BudgetPeriod.Day);
        var gateway = "env-" + id + "/dp";
        for (var day = 1; day <= 1000; day++)
        {
            var periodStart = PeriodCalendar.Containing(TestClock.Now.AddDays(-day), BudgetPeriod.Day, TimeZoneInfo.Utc).Start;
            await budget.ApplyUsageAsync(new BudgetUsage
            {
                Gateway = gateway,
                FromSequence = day,
                ToSequence = day,
                Amounts = [new PeriodAmount(periodStart, 0.01m)],
            });
        }

        var today = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Day, TimeZoneInfo.Utc).Start;
        await budget.ApplyUsageAsync(new BudgetUsage { Gateway = gateway, FromSequence = 1001, ToSequence = 1001, Amounts = [new PeriodAmount(today, 0.50m)] });
        await DeactivateAndWaitAsync(budget);

        var stored = await cluster.StoredBudgetAsync(id);
        Assert.InRange(stored.SpendByPeriod.Count, 1, 3);
        Assert.True(stored.SpendByPeriod.Keys.All(start => start >= today.AddDays(-1)));
        Assert.Equal(0.51m, stored.SpendByPeriod.Values.Sum());
        Assert.Equal(0.50m, (await budget.GetBudgetStatusAsync())!.SpentUsd);
    }

    [Fact]
    public async Task GetTransitionsAfter_ReturnsTheStoredTransitionsPastAVersion_AfterReactivation()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var (budget, id) = await DefineAsync(BudgetPeriod.Month);
        var month = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Month, TimeZoneInfo.Utc).Start;
        var gateway = "env-" + id + "/dp";
        await budget.ApplyUsageAsync(new BudgetUsage { Gateway = gateway, FromSequence = 1, ToSequence = 1, Amounts = [new PeriodAmount(month, 85m)] });
        await budget.ApplyUsageAsync(new BudgetUsage { Gateway = gateway, FromSequence = 2, ToSequence = 2, Amounts = [new PeriodAmount(month, 20m)] });

        await DeactivateAndWaitAsync(budget);
        var all = await budget.GetTransitionsAfterAsync(0);
        var afterThreshold = await budget.GetTransitionsAfterAsync(all[0].Status.Version);
        var afterLast = await budget.GetTransitionsAfterAsync(all[^1].Status.Version);

        Assert.Equal([BudgetEventKind.Threshold, BudgetEventKind.Exceeded], all.Select(item => item.Kind));
        Assert.Equal(0.8m, all[0].Threshold);
        Assert.Equal(105m, all[1].Status.SpentUsd);
        Assert.True(all[0].Status.Version < all[1].Status.Version);
        Assert.Equal([BudgetEventKind.Exceeded], afterThreshold.Select(item => item.Kind));
        Assert.Empty(afterLast);
    }

    private async Task<(IBudgetGrain Budget, string Id)> DefineAsync(BudgetPeriod period)
    {
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        // The rows below come from this environment: the org's, so its budget's scope holds them.
        await cluster.Grains.GetGrain<IOrgGrain>("org-" + id).RegisterEnvironmentAsync("env-" + id);
        var budget = cluster.Grains.GetGrain<IBudgetGrain>(id);
        await budget.DefineBudgetAsync(new BudgetPolicy
        {
            OrgId = "org-" + id,
            Name = "all",
            Scope = new BudgetScope(ScopeType.Org, "org-" + id),
            LimitUsd = 100m,
            Period = period,
            Mode = BudgetMode.HardStop,
            TimeZone = "UTC",
            Thresholds = [0.8m],
        });
        return (budget, id);
    }

    /// <summary>
    /// Deactivates the budget as the runtime would (its snapshot is written); the next call
    /// activates it anew, and reaches it only once the old activation has finished.
    /// </summary>
    private static async Task DeactivateAsync(IBudgetGrain budget) =>
        await budget.Cast<IGrainManagementExtension>().DeactivateOnIdle();

    private static async Task DeactivateAndWaitAsync(IBudgetGrain budget)
    {
        await DeactivateAsync(budget);
        await budget.GetBudgetAsync();
    }

    private static LedgerEntry Row(string gateway, long sequence, decimal cost, DateTimeOffset occurredAt, string budgetId, DateTimeOffset periodStart)
    {
        var (environmentId, dpId) = Abstractions.Gateways.GatewayKey.Parse(gateway);
        return Ledger.UsageLedgerContract.Entry(environmentId, dpId, $"r-{sequence}", 0, sequence, cost) with
        {
            OccurredAt = occurredAt,
            ReceivedAt = TestClock.Now,
            Attributions = ImmutableArray.Create(new BudgetAttribution(budgetId, periodStart)),
        };
    }
}
