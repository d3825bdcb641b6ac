using System.Globalization;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace BudgetCluster.Grains.Tests.Ledger;

/// <summary>What every usage ledger store promises; run against each store by a subclass.</summary>
public abstract class UsageLedgerContract : IAsyncLifetime
{
    /// <summary>A ledger on a fresh, migrated store; a second call opens the same store again.</summary>
    protected abstract GroupCommitLedger OpenLedger();

    public abstract Task InitializeAsync();

    /// <summary>Takes the store's write lock from another connection, as a migration would; the writer waits until it is disposed.</summary>
    protected abstract Task<IAsyncDisposable> HoldWriteLockAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task AppendAsync_SameIdentityTwice_StoresItOnceAndReportsTheDuplicate()
    {
        await using var ledger = OpenLedger();

        var first = await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1), Entry("env", "dp", "r-1", 1, 2)]);
        var second = await ledger.AppendAsync([Entry("env", "dp", "r-1", 1, 3), Entry("env", "dp", "r-2", 0, 4)]);

        Assert.Equal([true, true], first);
        Assert.Equal([false, true], second);
        Assert.Equal(3, (await ledger.ReadGatewayAsync("env", "dp", 0)).Count);
    }

    [Fact]
    public async Task AppendAsync_ResentWithAnotherOccurredAt_IsStillADuplicate()
    {
        await using var ledger = OpenLedger();
        var first = Entry("env", "dp", "r-1", 0, 1);

        await ledger.AppendAsync([first]);
        var again = await ledger.AppendAsync([first with { Sequence = 2, OccurredAt = first.OccurredAt.AddSeconds(1) }]);

        Assert.Equal([false], again);
        Assert.Single(await ledger.ReadGatewayAsync("env", "dp", 0));
    }

    [Fact]
    public async Task AppendAsync_SequenceAlreadyUsedByTheGateway_FailsInsteadOfHidingARow()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 7)]);

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(
            () => ledger.AppendAsync([Entry("env", "dp", "r-2", 0, 7)]));
    }

    [Fact]
    public async Task AppendAsync_RefusedRowInAGroup_FailsOnlyItsAppendAndTheOtherGatewaysCommits()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp-bad", "r-0", 0, 7)]);
        var good = Entry("env", "dp-good", "g-1", 0, 1) with
        {
            Attributions = [new BudgetAttribution("b-1", DateTimeOffset.FromUnixTimeMilliseconds(1_794_000_000_000))],
        };

        // The second row reuses the gateway's sequence 7: both stores refuse it by a unique index.
        var (refused, committed) = await AppendInOneGroupAsync(
            ledger, [Entry("env", "dp-bad", "r-1", 0, 8), Entry("env", "dp-bad", "r-2", 0, 7)], [good, Entry("env", "dp-good", "g-2", 0, 2)]);

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(() => refused);
        var stored = await committed;
        Assert.Equal([true, true], stored);
        await using var reopened = OpenLedger();
        Assert.Equal(["g-1", "g-2"], (await reopened.ReadGatewayAsync("env", "dp-good", 0)).Select(r => r.RequestId));
        Assert.Equal(0.01m, await reopened.SumBudgetPeriodAsync("b-1", good.Attributions[0].PeriodStart));
        // The refused append's first row went back with it.
        Assert.Equal(["r-0"], (await reopened.ReadGatewayAsync("env", "dp-bad", 0)).Select(r => r.RequestId));
    }

    /// <summary>
    /// Queues two appends while the writer is held inside the commit of a third, so that they are
    /// the next group together (the writer takes every queued append into one group).
    /// </summary>
    protected async Task<(Task<bool[]> First, Task<bool[]> Second)> AppendInOneGroupAsync(
        GroupCommitLedger ledger, IReadOnlyList<LedgerEntry> first, IReadOnlyList<LedgerEntry> second)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        Task<bool[]> blocker, one, two;
        await using (await HoldWriteLockAsync())
        {
            blocker = ledger.AppendAsync([Entry("env", "dp-blocker", $"b-{Guid.NewGuid():N}", 0, 1)]);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (ledger.QueuedAppends > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1);
            }

            Assert.Equal(0, ledger.QueuedAppends);
            one = ledger.AppendAsync(first);
            two = ledger.AppendAsync(second);
            Assert.Equal(2, ledger.QueuedAppends);
        }

        var blocked = await blocker;
        Assert.Equal([true], blocked);
        return (one, two);
    }

    [Fact]
    public async Task AppendAsync_SameRequestIdInAnotherEnvironment_IsADifferentEvent()
    {
        await using var ledger = OpenLedger();

        await ledger.AppendAsync([Entry("env-a", "dp", "r-1", 0, 1)]);
        var other = await ledger.AppendAsync([Entry("env-b", "dp", "r-1", 0, 1)]);

        Assert.Equal([true], other);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentAppenders_AllCommitAndReadBackExactly()
    {
        await using var ledger = OpenLedger();
        const int Gateways = 16;
        const int BatchesPerGateway = 20;
        const int EventsPerBatch = 25;

        await Task.WhenAll(Enumerable.Range(0, Gateways).Select(async g =>
        {
            for (var b = 0; b < BatchesPerGateway; b++)
            {
                var batch = Enumerable.Range(0, EventsPerBatch)
                    .Select(e => Entry("env", $"dp-{g}", $"r-{g}-{b}-{e}", 0, (b * EventsPerBatch) + e + 1, cost: 0.000001m))
                    .ToList();
                var inserted = await ledger.AppendAsync(batch);
                Assert.All(inserted, Assert.True);
            }
        }));

        for (var g = 0; g < Gateways; g++)
        {
            var rows = await ledger.ReadGatewayAsync("env", $"dp-{g}", 0);
            Assert.Equal(BatchesPerGateway * EventsPerBatch, rows.Count);
            Assert.Equal(rows.Select(r => r.Sequence).Order(), rows.Select(r => r.Sequence));
            Assert.Equal(0.0005m, rows.Sum(r => r.CostUsd));
        }
    }

    [Fact]
    public async Task ReadGatewayAsync_AfterAWatermark_ReturnsOnlyLaterRowsOfThatGateway()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([Entry("env", "dp", "a", 0, 1), Entry("env", "dp", "b", 0, 2), Entry("env", "dp", "c", 0, 5)]);
        await ledger.AppendAsync([Entry("env", "other", "d", 0, 3)]);

        var rows = await ledger.ReadGatewayAsync("env", "dp", 1);

        Assert.Equal(["b", "c"], rows.Select(r => r.RequestId));
    }

    [Fact]
    public async Task AppendAsync_RoundTripsEveryColumnExactly()
    {
        await using var ledger = OpenLedger();
        var entry = Entry("env", "dp", "r", 3, 7, cost: 0.0048075m) with
        {
            CachedPromptTokens = 1536,
            CacheCreationTokens = 11,
            CacheReadTokens = 12,
            ReasoningTokens = 13,
            CacheSavingsUsd = 0.00078m,
            Unpriced = true,
            CacheHit = true,
        };

        await ledger.AppendAsync([entry]);
        var read = Assert.Single(await ledger.ReadGatewayAsync("env", "dp", 0));

        Assert.Equal(entry, read);
    }

    [Fact]
    public async Task AppendAsync_AfterRestart_StillDeduplicatesAgainstTheFile()
    {
        await using (var ledger = OpenLedger())
        {
            await ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]);
        }

        await using var reopened = OpenLedger();
        var again = await reopened.AppendAsync([Entry("env", "dp", "r", 0, 2)]);
        Assert.Equal([false], again);
    }

    /// <summary>An ordinary row; tests change what they exercise.</summary>
    internal static LedgerEntry Entry(string env, string dp, string requestId, int attempt, long sequence, decimal cost = 0.01m) => new()
    {
        EnvironmentId = env,
        RequestId = requestId,
        AttemptIndex = attempt,
        DpId = dp,
        Sequence = sequence,
        OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000),
        ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123),
        ModelId = "m",
        ApiKeyId = "k",
        PromptTokens = 100,
        CompletionTokens = 20,
        StatusCode = 200,
        UpstreamLatencyMs = 5,
        CostUsd = cost,
        CacheSavingsUsd = 0m,
        Unpriced = false,
        CacheHit = false,
    };
}

public sealed class SqliteUsageLedgerTests : UsageLedgerContract
{
    private readonly TempDirectory _temp = new();
    private string _connectionString = "";

    public override async Task InitializeAsync()
    {
        _connectionString = $"Data Source={_temp.File("ledger.db")}";
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
    }

    public override Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AppendAsync_UnusableDatabase_FailsWithLedgerUnavailable()
    {
        await using var ledger = new SqliteUsageLedger($"Data Source={_temp.File("missing-dir/none.db")};Mode=ReadWrite");

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(
            () => ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]));
    }

    protected override GroupCommitLedger OpenLedger() => new SqliteUsageLedger(_connectionString);

    /// <summary>An immediate transaction holds SQLite's write lock until it is rolled back.</summary>
    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return new HeldLock(connection, connection.BeginTransaction(deferred: false));
    }

    /// <summary>Rolls back before closing: a pooled connection would otherwise keep the lock.</summary>
    private sealed class HeldLock(SqliteConnection connection, SqliteTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}

public sealed class PostgresUsageLedgerTests : UsageLedgerContract
{
    private NpgsqlDataSource? _dataSource;

    public override async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync("ledger"));
        await PostgresSchema.ApplyAsync(_dataSource, ["PostgreSql/Ledger"]);
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    [Fact]
    public async Task ApplyAsync_SecondTime_AppliesNothing()
    {
        Assert.Empty(await PostgresSchema.ApplyAsync(_dataSource!, ["PostgreSql/Ledger"]));
    }

    [Fact]
    public async Task ApplyAsync_SilosStartingAtTheSameMoment_ApplyEachScriptOnce()
    {
        await using var fresh = NpgsqlDataSource.Create(await PostgresServer.Instance.CreateDatabaseAsync("race"));
        string[] sets = ["PostgreSql/Grains", "PostgreSql/Ledger"];

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(fresh, sets))));

        var expected = sets.SelectMany(SchemaMigrator.LoadScripts).Select(script => script.Name).Order();
        Assert.Equal(expected, runs.SelectMany(applied => applied).Order());
    }

    [Fact]
    public async Task AppendAsync_EventsOfSeveralMonths_LandInMonthPartitions()
    {
        await using var ledger = OpenLedger();
        await ledger.AppendAsync([
            Entry("env", "dp", "nov", 0, 1) with { OccurredAt = DateTimeOffset.Parse("2026-11-30T23:59:59Z", CultureInfo.InvariantCulture) },
            Entry("env", "dp", "dec", 0, 2) with { OccurredAt = DateTimeOffset.Parse("2026-12-01T00:00:00Z", CultureInfo.InvariantCulture) },
        ]);

        Assert.Equal(["dec:usage_ledger_2026_12", "nov:usage_ledger_2026_11"], await PartitionsOfRowsAsync());
    }

    [Fact]
    public async Task AppendAsync_UnderThaiBuddhistCalendarCulture_CreatesGregorianPartitions()
    {
        // The writer task inherits the culture of the append that starts it, as a silo started with
        // LANG=th_TH.UTF-8 runs everything under th-TH (years counted from 543 BC).
        var culture = CultureInfo.CurrentCulture;
        var uiCulture = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("th-TH");
        try
        {
            Assert.IsType<ThaiBuddhistCalendar>(CultureInfo.CurrentCulture.Calendar);
            await using var ledger = OpenLedger();

            var inserted = await ledger.AppendAsync([
                Entry("env", "dp", "dec", 0, 1) with { OccurredAt = DateTimeOffset.Parse("2026-12-15T08:00:00Z", CultureInfo.InvariantCulture) },
            ]);

            Assert.Equal([true], inserted);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
        }

        Assert.Equal(["dec:usage_ledger_2026_12"], await PartitionsOfRowsAsync());
        await using var command = _dataSource!.CreateCommand(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'usage_ledger_2026_12'");
        Assert.Equal(
            "FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')",
            (string?)await command.ExecuteScalarAsync());
    }

    private async Task<List<string>> PartitionsOfRowsAsync()
    {
        await using var command = _dataSource!.CreateCommand(
            "SELECT tableoid::regclass::text, request_id FROM usage_ledger ORDER BY request_id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(1)}:{reader.GetString(0)}");
        }

        return rows;
    }

    [Fact]
    public async Task AppendAsync_NulInARequestId_FailsOnlyItsAppendAndTheOtherGatewaysCommits()
    {
        await using var ledger = OpenLedger();

        var (refused, committed) = await AppendInOneGroupAsync(
            ledger, [Entry("env", "dp-bad", "r-\0-1", 0, 1)], [Entry("env", "dp-good", "g-1", 0, 1)]);

        var error = await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(() => refused);
        Assert.IsType<PostgresException>(error.InnerException);
        var stored = await committed;
        Assert.Equal([true], stored);
        await using var reopened = OpenLedger();
        Assert.Equal(["g-1"], (await reopened.ReadGatewayAsync("env", "dp-good", 0)).Select(r => r.RequestId));
        Assert.Empty(await ledger.ReadGatewayAsync("env", "dp-bad", 0));
    }

    protected override GroupCommitLedger OpenLedger() => new PostgresUsageLedger(_dataSource!);

    /// <summary>An open transaction holding a lock that conflicts with the writer's inserts.</summary>
    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = await _dataSource!.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN; LOCK TABLE usage_event_identity IN EXCLUSIVE MODE";
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}
