using System.Collections.Immutable;
using System.Data.Common;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Definitions;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;

namespace BudgetCluster.Grains.Tests.Definitions;

/// <summary>What the budget registry table promises, on each store (a subclass per store, on a fresh migrated database).</summary>
public abstract class BudgetRegistryStoreContract : IAsyncLifetime
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private BudgetRegistryStore Store => new(DataSource, Serializer);

    protected abstract DbDataSource DataSource { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task WriteAsync_PendingThenDefinedWithTheNextChange_LoadsEachRowAsLastWritten()
    {
        await Store.WriteAsync("org-a", new RegistryWrite(1, new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 10m)), [], []));
        await Store.WriteAsync("org-a", new RegistryWrite(2, new RegistryRow("b-2", RegistryStatus.Pending, Policy("b-2", 20m)), ["b-1"], []));

        var (rows, version) = await Store.LoadAsync("org-a");

        Assert.Equal(2, version);
        Assert.Equal(
            [new RegistryRow("b-1", RegistryStatus.Defined, Policy("b-1", 10m)), new RegistryRow("b-2", RegistryStatus.Pending, Policy("b-2", 20m))],
            rows);
    }

    [Fact]
    public async Task WriteAsync_DeletingThenDeleted_RemovesTheRowOnlyWhileItIsStillDeleting()
    {
        await Store.WriteAsync("org-a", new RegistryWrite(1, new RegistryRow("b-gone", RegistryStatus.Deleting, null), [], []));
        await Store.WriteAsync("org-a", new RegistryWrite(2, new RegistryRow("b-back", RegistryStatus.Deleting, null), [], []));
        // b-back is defined again before its deletion's outcome is written: the outcome leaves it alone.
        await Store.WriteAsync("org-a", new RegistryWrite(3, new RegistryRow("b-back", RegistryStatus.Pending, Policy("b-back", 5m)), [], []));
        await Store.WriteAsync("org-a", new RegistryWrite(4, null, [], ["b-gone", "b-back"]));

        var (rows, _) = await Store.LoadAsync("org-a");

        Assert.Equal([new RegistryRow("b-back", RegistryStatus.Pending, Policy("b-back", 5m))], rows);
    }

    [Fact]
    public async Task WriteAsync_DefinedOutcomeAfterANewPolicyWasStored_LeavesTheNewOnePending()
    {
        await Store.WriteAsync("org-a", new RegistryWrite(1, new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 10m)), [], []));
        // In one transaction: the first definition's outcome, then the next change of the same budget.
        await Store.WriteAsync("org-a", new RegistryWrite(2, new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 99m)), ["b-1"], []));

        var (rows, _) = await Store.LoadAsync("org-a");

        Assert.Equal([new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 99m))], rows);
    }

    [Fact]
    public async Task WriteAsync_LowerIndexVersion_KeepsTheHigherOne()
    {
        await Store.WriteAsync("org-a", new RegistryWrite(7, new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 10m)), [], []));
        await Store.WriteAsync("org-a", new RegistryWrite(3, null, ["b-1"], []));

        var (rows, version) = await Store.LoadAsync("org-a");

        Assert.Equal(7, version);
        Assert.Equal(RegistryStatus.Defined, Assert.Single(rows).Status);
    }

    [Fact]
    public async Task LoadAsync_AnotherOrgsRowsAndAnOrgNeverWritten_AreNotMixed()
    {
        await Store.WriteAsync("org-a", new RegistryWrite(1, new RegistryRow("b-1", RegistryStatus.Pending, Policy("b-1", 10m)), [], []));

        var (rows, version) = await Store.LoadAsync("org-b");

        Assert.Empty(rows);
        Assert.Equal(0, version);
    }

    [Fact]
    public async Task ImportAsync_ARegistryKeptInTheOrgState_IsStoredWholeAndARepeatChangesNothing()
    {
        RegistryRow[] legacy =
        [
            new("b-1", RegistryStatus.Defined, Policy("b-1", 10m)),
            new("b-2", RegistryStatus.Pending, Policy("b-2", 20m)),
            new("b-3", RegistryStatus.Deleting, null),
        ];

        await Store.ImportAsync("org-a", 41, legacy);
        await Store.ImportAsync("org-a", 41, legacy);
        var (rows, version) = await Store.LoadAsync("org-a");

        Assert.Equal(41, version);
        Assert.Equal(legacy, rows);
    }

    [Fact]
    public async Task WriteAsync_ManyBudgets_EachChangeWritesOnlyItsRow()
    {
        for (var i = 0; i < 200; i++)
        {
            var id = $"b-{i:D3}";
            await Store.WriteAsync("org-a", new RegistryWrite(i + 1, new RegistryRow(id, RegistryStatus.Pending, Policy(id, i)), i == 0 ? [] : [$"b-{i - 1:D3}"], []));
        }

        var (rows, version) = await Store.LoadAsync("org-a");

        Assert.Equal(200, version);
        Assert.Equal(200, rows.Count);
        Assert.Equal(199, rows.Count(row => row.Status == RegistryStatus.Defined));
        Assert.Equal(Policy("b-123", 123), rows.Single(row => row.BudgetId == "b-123").Policy);
    }

    private static BudgetPolicy Policy(string id, decimal limit) => new()
    {
        OrgId = "org-a",
        Name = id,
        Scope = new BudgetScope(ScopeType.ApiKey, "k-" + id),
        LimitUsd = limit,
        Period = BudgetPeriod.Month,
        Mode = BudgetMode.HardStop,
        TimeZone = "Europe/Paris",
        Thresholds = ImmutableArray.Create(0.5m, 0.9m),
    };
}

public sealed class SqliteBudgetRegistryStoreTests : BudgetRegistryStoreContract, IDisposable
{
    private readonly TempDirectory _temp = new();
    private DbDataSource? _dataSource;

    protected override DbDataSource DataSource => _dataSource!;

    public override async Task InitializeAsync()
    {
        var connectionString = $"Data Source={_temp.File("grains.db")}";
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await SchemaMigrator.ApplyAsync(connection, "Sqlite/Grains");
        }

        _dataSource = SqliteFactory.Instance.CreateDataSource(connectionString);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
    }

    public void Dispose() => _temp.Dispose();
}

public sealed class PostgresBudgetRegistryStoreTests : BudgetRegistryStoreContract
{
    private NpgsqlDataSource? _dataSource;

    protected override DbDataSource DataSource => _dataSource!;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync("registry"));
        await PostgresSchema.ApplyAsync(_dataSource, ["PostgreSql/Grains"]);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
