using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Grains.Tests.Ledger;

public sealed class SqliteUsageLedgerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _connectionString;

    public SqliteUsageLedgerTests()
    {
        _connectionString = $"Data Source={_temp.File("ledger.db")}";
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger").GetAwaiter().GetResult();
    }

    [Fact]
    public async Task AppendAsync_SameIdentityTwice_StoresItOnceAndReportsTheDuplicate()
    {
        await using var ledger = new SqliteUsageLedger(_connectionString);

        var first = await ledger.AppendAsync([Entry("env", "dp", "r-1", 0, 1), Entry("env", "dp", "r-1", 1, 2)]);
        var second = await ledger.AppendAsync([Entry("env", "dp", "r-1", 1, 3), Entry("env", "dp", "r-2", 0, 4)]);

        Assert.Equal([true, true], first);
        Assert.Equal([false, true], second);
        Assert.Equal(3, (await ledger.ReadGatewayAsync("env", "dp", 0)).Count);
    }

    [Fact]
    public async Task AppendAsync_SameRequestIdInAnotherEnvironment_IsADifferentEvent()
    {
        await using var ledger = new SqliteUsageLedger(_connectionString);

        await ledger.AppendAsync([Entry("env-a", "dp", "r-1", 0, 1)]);
        var other = await ledger.AppendAsync([Entry("env-b", "dp", "r-1", 0, 1)]);

        Assert.Equal([true], other);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentAppenders_AllCommitAndReadBackExactly()
    {
        await using var ledger = new SqliteUsageLedger(_connectionString);
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
        await using var ledger = new SqliteUsageLedger(_connectionString);
        await ledger.AppendAsync([Entry("env", "dp", "a", 0, 1), Entry("env", "dp", "b", 0, 2), Entry("env", "dp", "c", 0, 5)]);
        await ledger.AppendAsync([Entry("env", "other", "d", 0, 3)]);

        var rows = await ledger.ReadGatewayAsync("env", "dp", 1);

        Assert.Equal(["b", "c"], rows.Select(r => r.RequestId));
    }

    [Fact]
    public async Task AppendAsync_RoundTripsEveryColumnExactly()
    {
        await using var ledger = new SqliteUsageLedger(_connectionString);
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
        await using (var ledger = new SqliteUsageLedger(_connectionString))
        {
            await ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]);
        }

        await using var reopened = new SqliteUsageLedger(_connectionString);
        var again = await reopened.AppendAsync([Entry("env", "dp", "r", 0, 2)]);
        Assert.Equal([false], again);
    }

    [Fact]
    public async Task AppendAsync_UnusableDatabase_FailsWithLedgerUnavailable()
    {
        await using var ledger = new SqliteUsageLedger($"Data Source={_temp.File("missing-dir/none.db")};Mode=ReadWrite");

        await Assert.ThrowsAsync<BudgetCluster.Grains.Abstractions.Gateways.LedgerUnavailableException>(
            () => ledger.AppendAsync([Entry("env", "dp", "r", 0, 1)]));
    }

    public void Dispose() => _temp.Dispose();

    private static LedgerEntry Entry(string env, string dp, string requestId, int attempt, long sequence, decimal cost = 0.01m) => new()
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
