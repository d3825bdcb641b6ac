using System.Collections.Immutable;
using System.Globalization;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Tests.Ledger;
using BudgetCluster.Grains.Usage;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Grains.Tests.Storage;

/// <summary>
/// A ledger file written by the schema before usage views (scripts 0001-0003) migrates in place:
/// every row kept and numbered (0004), its rollups rebuilt from the rows by the first folds (0005).
/// </summary>
public sealed class SqliteLedgerMigrationTests : IDisposable
{
    /// <summary>The row as the writer of scripts 0001-0003 inserted it.</summary>
    private const string OldInsertSql = """
        INSERT INTO usage_ledger (
            environment_id, request_id, attempt_index, dp_id, seq, occurred_at_ms, received_at_ms,
            model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
            upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit)
        VALUES ($env, $req, $att, $dp, $seq, $occ, $rcv, $model, $key, $pt, $ct, $cpt, $cct, $crt, $rt,
                $status, $lat, $cost, $sav, $unpriced, $hit)
        """;

    private static readonly ImmutableArray<DateTimeOffset> Boundaries =
    [
        UsageLedgerContract.BaseHour, UsageLedgerContract.BaseHour.AddMinutes(13), UsageLedgerContract.BaseHour.AddMinutes(150),
        UsageLedgerContract.BaseHour.AddHours(4), UsageLedgerContract.BaseHour.AddHours(5),
    ];

    private static readonly ImmutableArray<string> Environments = ["env-a", "env-b", "env-c"];

    private readonly TempDirectory _temp = new();
    private readonly string _connectionString;

    public SqliteLedgerMigrationTests() => _connectionString = $"Data Source={_temp.File("ledger.db")}";

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Migrate_OldLedger_KeepsEveryRowNumbersThemAndRollsThemUp()
    {
        var old = await WriteOldLedgerAsync(seed: 21, count: 400);

        var applied = await MigrateAsync();
        await using var ledger = new SqliteUsageLedger(_connectionString, Timeout.InfiniteTimeSpan);

        Assert.Equal(["Sqlite/Ledger/0004_usage_views.sql", "Sqlite/Ledger/0005_rollup_fold.sql", "Sqlite/Ledger/0006_rollups_own_file.sql"], applied);
        var expected = AsMigrated(old);
        foreach (var gateway in expected.GroupBy(e => (e.EnvironmentId, e.DpId)))
        {
            var rows = await ledger.ReadGatewayAsync(gateway.Key.EnvironmentId, gateway.Key.DpId, 0);
            Assert.Equal(gateway.OrderBy(e => e.Sequence), rows);
            Assert.Equal(gateway.OrderBy(e => e.Sequence).Select(e => e.Position), rows.Select(e => e.Position));
        }

        Assert.Equal(expected.OrderBy(e => e.Position), await UsageLedgerContract.ExportAllAsync(ledger, Environments, CommitPosition.Start, 50));
        UsageLedgerContract.AssertSameBuckets(
            UsageLedgerContract.Expected(AsMigrated(old), Boundaries, _ => true),
            await UsageLedgerContract.ReadBothWaysAsync(ledger, Query()));
        Assert.Equal(old.Count, await FoldedPositionAsync());
        Assert.Equal(old.Where(e => e.CostUsd != 0m && e.Sequence % 2 == 0).Sum(e => e.CostUsd),
            await ledger.SumBudgetPeriodAsync("b-old", UsageLedgerContract.BaseHour));
    }

    [Fact]
    public async Task Migrate_OldLedger_NewAppendsContinueThePositionsAndAreFoldedWithTheOldRows()
    {
        var old = await WriteOldLedgerAsync(seed: 22, count: 300);
        await MigrateAsync();
        var added = UsageLedgerContract.RandomTraffic(seed: 23, count: 200).Select(e => e with { Sequence = e.Sequence + 10_000 }).ToList();

        await using (var ledger = new SqliteUsageLedger(_connectionString, Timeout.InfiniteTimeSpan))
        {
            Assert.All(await ledger.AppendAsync(added), Assert.True);
        }

        await using var reopened = new SqliteUsageLedger(_connectionString, Timeout.InfiniteTimeSpan);
        var exported = await UsageLedgerContract.ExportAllAsync(reopened, Environments, CommitPosition.Start, 64);
        Assert.Equal([.. AsMigrated(old).OrderBy(e => e.Position), .. added], exported);
        Assert.Equal(Enumerable.Range(1, old.Count).Select(n => (long)n), exported.Take(old.Count).Select(e => e.Position.Number));
        Assert.All(exported.Skip(old.Count), e => Assert.True(e.Position.Number > old.Count));
        UsageLedgerContract.AssertSameBuckets(
            UsageLedgerContract.Expected([.. AsMigrated(old), .. added], Boundaries, _ => true),
            await UsageLedgerContract.ReadBothWaysAsync(reopened, Query()));
        Assert.Equal(old.Count + added.Count, await FoldedPositionAsync());
    }

    [Fact]
    public async Task Migrate_EmptyOldLedger_StartsFoldingFromTheFirstRow()
    {
        await ApplyOldScriptsAsync();

        await MigrateAsync();
        await using var ledger = new SqliteUsageLedger(_connectionString, Timeout.InfiniteTimeSpan);
        await ledger.AppendAsync([UsageLedgerContract.Entry("env-a", "dp", "r", 0, 1)]);

        Assert.Equal(1L, await ledger.UnfoldedRowsAsync());
        Assert.Equal(1L, await ledger.FoldAsync());
        Assert.Equal(1L, await FoldedPositionAsync());
        Assert.Equal(1L, (await ledger.ReadEventsAsync(["env-a"], CommitPosition.Start, 10)).Events.Single().Position.Number);
    }

    /// <summary>Grouped by two dimensions, so the full rows are read and compared key by key.</summary>
    private static RollupQuery Query() =>
        new() { EnvironmentIds = Environments, Boundaries = Boundaries, GroupBy = [UsageDimension.Gateway, UsageDimension.Model] };

    /// <summary>What the old rows read as after the migration: positions by (received, environment, gateway, sequence), bound when they name a key.</summary>
    private static List<LedgerEntry> AsMigrated(List<LedgerEntry> old) =>
        old.OrderBy(e => e.ReceivedAt).ThenBy(e => e.EnvironmentId, StringComparer.Ordinal).ThenBy(e => e.DpId, StringComparer.Ordinal).ThenBy(e => e.Sequence)
            .Select((e, i) => e with { KeyBound = e.ApiKeyId.Length > 0, Position = new CommitPosition(0, i + 1), Attributions = [] })
            .ToList();

    /// <summary>
    /// A file as today's main leaves it: scripts 0001-0003 applied and recorded, and rows inserted
    /// in random order with the old columns (what the new fields hold is dropped, as it was then);
    /// every other row has an attribution to a budget.
    /// </summary>
    private async Task<List<LedgerEntry>> WriteOldLedgerAsync(int seed, int count)
    {
        await ApplyOldScriptsAsync();
        var random = new Random(seed);
        var old = UsageLedgerContract.RandomTraffic(seed, count)
            .Select(e => new LedgerEntry
            {
                EnvironmentId = e.EnvironmentId, RequestId = e.RequestId, AttemptIndex = e.AttemptIndex, DpId = e.DpId,
                Sequence = e.Sequence, OccurredAt = e.OccurredAt, ReceivedAt = e.OccurredAt.AddSeconds(random.Next(3) * 10),
                ModelId = e.ModelId, ApiKeyId = e.ApiKeyId, PromptTokens = e.PromptTokens, CompletionTokens = e.CompletionTokens,
                CachedPromptTokens = e.CachedPromptTokens, CacheCreationTokens = e.CacheCreationTokens,
                CacheReadTokens = e.CacheReadTokens, ReasoningTokens = e.ReasoningTokens, StatusCode = e.StatusCode,
                UpstreamLatencyMs = e.UpstreamLatencyMs, CostUsd = e.CostUsd, CacheSavingsUsd = e.CacheSavingsUsd,
                Unpriced = e.Unpriced, CacheHit = e.CacheHit,
            })
            .ToList();

        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        foreach (var e in old.OrderBy(_ => random.Next()))
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = OldInsertSql;
            foreach (var (name, value) in new (string, object)[]
            {
                ("$env", e.EnvironmentId), ("$req", e.RequestId), ("$att", e.AttemptIndex), ("$dp", e.DpId), ("$seq", e.Sequence),
                ("$occ", e.OccurredAt.ToUnixTimeMilliseconds()), ("$rcv", e.ReceivedAt.ToUnixTimeMilliseconds()), ("$model", e.ModelId),
                ("$key", e.ApiKeyId), ("$pt", e.PromptTokens), ("$ct", e.CompletionTokens), ("$cpt", e.CachedPromptTokens),
                ("$cct", e.CacheCreationTokens), ("$crt", e.CacheReadTokens), ("$rt", e.ReasoningTokens), ("$status", e.StatusCode),
                ("$lat", e.UpstreamLatencyMs), ("$cost", e.CostUsd.ToString(CultureInfo.InvariantCulture)),
                ("$sav", e.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture)), ("$unpriced", e.Unpriced ? 1 : 0), ("$hit", e.CacheHit ? 1 : 0),
            })
            {
                insert.Parameters.AddWithValue(name, value);
            }

            await insert.ExecuteNonQueryAsync();
            if (e.CostUsd != 0m && e.Sequence % 2 == 0)
            {
                await using var attribute = connection.CreateCommand();
                attribute.Transaction = transaction;
                attribute.CommandText = "INSERT INTO usage_attribution VALUES ($env, $dp, $seq, 'b-old', $period, $cost)";
                attribute.Parameters.AddWithValue("$env", e.EnvironmentId);
                attribute.Parameters.AddWithValue("$dp", e.DpId);
                attribute.Parameters.AddWithValue("$seq", e.Sequence);
                attribute.Parameters.AddWithValue("$period", UsageLedgerContract.BaseHour.ToUnixTimeMilliseconds());
                attribute.Parameters.AddWithValue("$cost", e.CostUsd.ToString(CultureInfo.InvariantCulture));
                await attribute.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
        return old;
    }

    /// <summary>Runs the scripts before 0004 and records them as <see cref="SchemaMigrator"/> does.</summary>
    private async Task ApplyOldScriptsAsync()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE budgetcluster_schema (script TEXT PRIMARY KEY, applied_at TEXT NOT NULL);";
        await command.ExecuteNonQueryAsync();
        foreach (var (name, sql) in SchemaMigrator.LoadScripts("Sqlite/Ledger").Where(s => string.CompareOrdinal(s.Name, "Sqlite/Ledger/0004") < 0))
        {
            command.CommandText = sql + ";\nINSERT INTO budgetcluster_schema VALUES ($script, 'then');";
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$script", name);
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task<IReadOnlyList<string>> MigrateAsync()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
    }

    private Task<long> FoldedPositionAsync() => TempDirectory.FoldedPositionAsync(_connectionString);
}
