using System.Collections.Immutable;
using System.Diagnostics;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Definitions;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>The org grain owns its budgets: an interrupted definition or deletion is completed, never left half-done.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class OrgBudgetLifecycleTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task DefineBudget_BudgetStorageFailing_IsCompletedOnceStorageIsBack()
    {
        var (org, orgId) = await OrgAsync();
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        var budget = cluster.Grains.GetGrain<IBudgetGrain>(id);
        FaultyGrainStorage.FailWrites(budget.GetGrainId());

        await Assert.ThrowsAnyAsync<Exception>(() => org.DefineBudgetAsync(id, Policy(orgId)));
        Assert.Contains(await org.ListBudgetsAsync(), b => b.BudgetId == id);
        FaultyGrainStorage.Heal(budget.GetGrainId());

        // No request touches the org again: its retry timer completes the definition.
        Assert.Equal(Policy(orgId), await EventuallyAsync(budget.GetBudgetAsync, policy => policy is not null));
        Assert.Contains(await org.ListBudgetsAsync(), b => b.BudgetId == id);
    }

    [Fact]
    public async Task DeleteBudget_BudgetStorageFailing_LeavesTheIndexAndIsCompletedLater()
    {
        var (org, orgId) = await OrgAsync();
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        var budget = cluster.Grains.GetGrain<IBudgetGrain>(id);
        await org.DefineBudgetAsync(id, Policy(orgId));
        FaultyGrainStorage.FailWrites(budget.GetGrainId());

        await Assert.ThrowsAnyAsync<Exception>(() => org.DeleteBudgetAsync(id));
        Assert.DoesNotContain(await org.ListBudgetsAsync(), b => b.BudgetId == id);
        Assert.False((await org.GetBudgetIndexAsync()).Entries.ContainsKey(id));
        FaultyGrainStorage.Heal(budget.GetGrainId());

        Assert.Null(await EventuallyAsync(budget.GetBudgetAsync, policy => policy is null));
    }

    [Fact]
    public async Task DefineBudget_IdOfAnotherOrg_IsAConflict()
    {
        var (first, firstId) = await OrgAsync();
        var (second, secondId) = await OrgAsync();
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        await first.DefineBudgetAsync(id, Policy(firstId));

        var conflict = await Assert.ThrowsAsync<DefinitionConflictException>(() => second.DefineBudgetAsync(id, Policy(secondId)));

        Assert.Contains(firstId, conflict.Message, StringComparison.Ordinal);
        Assert.Equal(firstId, (await cluster.Grains.GetGrain<IBudgetGrain>(id).GetBudgetAsync())!.OrgId);
    }

    [Fact]
    public async Task Activate_RegistryKeptInTheOrgStateByEarlierCode_MovesToTheRegistryTableAndKeepsEveryBudget()
    {
        var orgId = "org-" + Guid.NewGuid().ToString("N")[..10];
        var (defined, pending, deleting) = ("b-" + Guid.NewGuid().ToString("N")[..12], "b-" + Guid.NewGuid().ToString("N")[..12], "b-" + Guid.NewGuid().ToString("N")[..12]);
        var legacy = new OrgState { Definition = new OrgDefinition("Acme", FailMode.Sticky), SettingsVersion = 12, Listed = true };
        legacy.Budgets[defined] = Policy(orgId);
        legacy.Budgets[pending] = Policy(orgId) with { LimitUsd = 20m };
        legacy.PendingBudgets.Add(pending);
        legacy.DeletingBudgets.Add(deleting);
        await cluster.StoreStateAsync("org", GrainId.Create("org", orgId), legacy);
        // The defined budget's grain as that code left it (its definition asks the org for its
        // environments, so the org is stored first; the deleting one's grain is deleted anyway).
        await cluster.Grains.GetGrain<IBudgetGrain>(defined).DefineBudgetAsync(Policy(orgId));
        var org = cluster.Grains.GetGrain<IOrgGrain>(orgId);

        var listed = await org.ListBudgetsAsync();

        Assert.Equal(new[] { defined, pending }.Order(StringComparer.Ordinal), listed.Select(b => b.BudgetId));
        // The pending definition and the deletion are completed as before (the deletion's row goes), and the index has both budgets.
        Assert.Equal(20m, (await EventuallyAsync(cluster.Grains.GetGrain<IBudgetGrain>(pending).GetBudgetAsync, policy => policy is not null))!.LimitUsd);
        var index = await EventuallyAsync(org.GetBudgetIndexAsync, index => index.Entries.Count == 2);
        Assert.True(index.Version > 12);
        var (rows, _) = await cluster.Registry.LoadAsync(orgId);
        Assert.Equal(new[] { defined, pending }.Order(StringComparer.Ordinal), rows.Select(row => row.BudgetId));
        Assert.All(rows, row => Assert.Equal(RegistryStatus.Defined, row.Status));
        Assert.Empty((await cluster.StoredOrgAsync(orgId)).Budgets);
    }

    private async Task<(IOrgGrain Org, string Id)> OrgAsync()
    {
        var id = "org-" + Guid.NewGuid().ToString("N")[..10];
        var org = cluster.Grains.GetGrain<IOrgGrain>(id);
        await org.PutOrgAsync(new OrgDefinition("Acme", FailMode.Sticky));
        return (org, id);
    }

    private static BudgetPolicy Policy(string orgId) => new()
    {
        OrgId = orgId,
        Name = "all",
        Scope = new BudgetScope(ScopeType.Org, orgId),
        LimitUsd = 10m,
        Period = BudgetPeriod.Month,
        Mode = BudgetMode.HardStop,
        TimeZone = "UTC",
        Thresholds = ImmutableArray.Create(0.8m),
    };

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var watch = Stopwatch.StartNew();
        T value;
        while (!done(value = await read()) && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        return value;
    }
}
