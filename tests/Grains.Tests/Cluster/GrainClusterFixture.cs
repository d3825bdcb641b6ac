using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Definitions;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Notifications;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// Our grains in one in-process silo of Orleans' TestingHost, with the real SQLite usage ledger
/// and budget registry (files of this fixture's own) and Orleans' memory grain storage behind
/// <see cref="FaultyGrainStorage"/>, so a test can deactivate a grain between two calls and watch
/// it recover from its snapshot and the ledger, or make one grain's storage slow or failing.
/// Tests share the cluster and use fresh ids.
/// </summary>
public sealed class GrainClusterFixture : SiloClusterFixture<GrainClusterFixture.Configurator>
{
    private const string InnerStorage = "memory";

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The silo's ledger: a test writes rows as a gateway grain would have committed them.</summary>
    public IUsageLedger Ledger => Cluster.GetSiloServiceProvider().GetRequiredService<IUsageLedger>();

    /// <summary>An org's state as the grain storage holds it.</summary>
    public async Task<OrgState> StoredOrgAsync(string orgId)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(InnerStorage);
        var state = new GrainState<OrgState>(new OrgState());
        await storage.ReadStateAsync("org", GrainId.Create("org", orgId), state);
        return state.State!;
    }

    /// <summary>A budget's snapshot as the grain storage holds it (what the next activation loads).</summary>
    public Task<BudgetGrainState> StoredBudgetAsync(string budgetId) => StoredBudgetAsync(Cluster, budgetId);

    /// <summary>The silo's budget registry table.</summary>
    public BudgetRegistryStore Registry => Cluster.GetSiloServiceProvider().GetRequiredService<BudgetRegistryStore>();

    /// <summary>Writes a grain's state into storage as an earlier version of the code would have left it, before the grain first activates.</summary>
    public Task StoreStateAsync<T>(string stateName, GrainId grainId, T state)
        where T : class, new()
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(InnerStorage);
        return storage.WriteStateAsync(stateName, grainId, new GrainState<T>(state));
    }

    /// <summary>Our grains' services in a test silo: the real SQLite ledger in a fresh file, fault-injectable memory storage, memory streams.</summary>
    internal static void AddBudgetClusterGrains(ISiloBuilder siloBuilder, string ledgerFile, TimeProvider time)
    {
        var connectionString = $"Data Source={ledgerFile}";
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger").GetAwaiter().GetResult();
        }

        // The budget registry's table lives in the grain state database; here a SQLite file of its own.
        var registry = $"Data Source={ledgerFile}.registry.db";
        using (var connection = new SqliteConnection(registry))
        {
            connection.Open();
            SchemaMigrator.ApplyAsync(connection, "Sqlite/Grains").GetAwaiter().GetResult();
        }

        siloBuilder.Services.AddSingleton(services =>
            new BudgetRegistryStore(SqliteFactory.Instance.CreateDataSource(registry), services.GetRequiredService<Orleans.Serialization.Serializer>()));
        siloBuilder.AddMemoryGrainStorage(InnerStorage);
        siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(
            GrainStorageNames.Default, (services, _) => new FaultyGrainStorage(services.GetRequiredKeyedService<IGrainStorage>(InnerStorage)));
        siloBuilder.AddMemoryGrainStorage("PubSubStore");
        siloBuilder.AddMemoryStreams(BudgetStreams.Provider, streams => streams.ConfigurePartitioning(BudgetStreams.Queues));
        siloBuilder.Services.AddSingleton(time);
        siloBuilder.Services.AddSingleton<IUsageLedger>(new SqliteUsageLedger(connectionString));
        siloBuilder.Services.AddSingleton<IWebhookSender, NoWebhookSender>();
    }

    /// <summary>A budget's snapshot as the grain storage of <paramref name="cluster"/> holds it, read without calling the grain.</summary>
    internal static async Task<BudgetGrainState> StoredBudgetAsync(TestCluster cluster, string budgetId)
    {
        var storage = cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(InnerStorage);
        var state = new GrainState<BudgetGrainState>(new BudgetGrainState());
        await storage.ReadStateAsync("budget", GrainId.Create("budget", budgetId), state);
        return state.State!;
    }

    public sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => AddBudgetClusterGrains(siloBuilder, Files.File("ledger.db"), TestClock.Provider);
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}
