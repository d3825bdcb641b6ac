using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using BudgetCluster.Grains.Usage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage ledger in a SQLite file (the embedded default), group-committed by
/// <see cref="GroupCommitLedger"/> through one write connection (WAL, <c>synchronous=FULL</c>).
/// </summary>
public sealed class SqliteUsageLedger(string connectionString) : GroupCommitLedger
{
    private const string InsertSql = """
        INSERT INTO usage_ledger (
            environment_id, request_id, attempt_index, dp_id, seq, occurred_at_ms, received_at_ms,
            model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
            upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit)
        VALUES ($env, $req, $att, $dp, $seq, $occ, $rcv, $model, $key, $pt, $ct, $cpt, $cct, $crt, $rt,
                $status, $lat, $cost, $sav, $unpriced, $hit)
        ON CONFLICT (environment_id, request_id, attempt_index) DO NOTHING
        """;

    private const string InsertAttributionSql = """
        INSERT INTO usage_attribution (environment_id, dp_id, seq, budget_id, period_start_ms, cost_usd)
        VALUES ($env, $dp, $seq, $budget, $period, $cost)
        """;

    private const string ReadGatewayAttributionsSql = """
        SELECT budget_id, environment_id, dp_id, seq, period_start_ms, cost_usd
        FROM usage_attribution
        WHERE environment_id = $env AND dp_id = $dp AND seq > $after
        ORDER BY seq, budget_id
        """;

    private const string ReadBudgetAttributionsSql = """
        SELECT budget_id, environment_id, dp_id, seq, period_start_ms, cost_usd
        FROM usage_attribution
        WHERE budget_id = $budget AND period_start_ms >= $from
        ORDER BY environment_id, dp_id, seq
        """;

    private const string ReadGatewaySql = """
        SELECT environment_id, request_id, attempt_index, dp_id, seq, occurred_at_ms, received_at_ms,
               model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
               cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
               upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit
        FROM usage_ledger
        WHERE environment_id = $env AND dp_id = $dp AND seq > $after
        ORDER BY seq
        """;

    public override Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadGatewaySql, ReadEntry, cancellationToken, ("$env", environmentId), ("$dp", dpId), ("$after", afterSequence));

    public override Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadGatewayAttributionsSql, ReadAttribution, cancellationToken, ("$env", environmentId), ("$dp", dpId), ("$after", afterSequence));

    public override Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadBudgetAttributionsSql, ReadAttribution, cancellationToken, ("$budget", budgetId), ("$from", periodsFrom.ToUnixTimeMilliseconds()));

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await ReadAllAsync(command, read, cancellationToken, parameters);
    }

    /// <remarks>Money is decimal text in SQLite, whose SUM would be binary floating point: summed here.</remarks>
    public override async Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        var costs = await QueryAsync(
            "SELECT cost_usd FROM usage_attribution WHERE budget_id = $budget AND period_start_ms = $period",
            reader => decimal.Parse(reader.GetString(0), NumberStyles.Number, CultureInfo.InvariantCulture),
            cancellationToken, ("$budget", budgetId), ("$period", periodStart.ToUnixTimeMilliseconds()));
        return costs.Sum();
    }

    public override async Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default)
    {
        var costs = await QueryAsync(
            "SELECT cost_usd FROM usage_ledger WHERE environment_id = $env AND dp_id = $dp",
            reader => decimal.Parse(reader.GetString(0), NumberStyles.Number, CultureInfo.InvariantCulture),
            cancellationToken, ("$env", environmentId), ("$dp", dpId));
        return (costs.Count, costs.Sum());
    }

    public override Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("rollups: being built (issue #10)");

    public override Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("export: being built (issue #10)");

    public override Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("scope sums: being built (issue #10)");

    protected override Task<ICommitter> OpenCommitterAsync() => Task.FromResult<ICommitter>(Writer.Open(connectionString));

    private static AttributionRow ReadAttribution(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetInt64(3),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        decimal.Parse(reader.GetString(5), NumberStyles.Number, CultureInfo.InvariantCulture));

    private static LedgerEntry ReadEntry(DbDataReader reader) => new()
    {
        EnvironmentId = reader.GetString(0),
        RequestId = reader.GetString(1),
        AttemptIndex = reader.GetInt32(2),
        DpId = reader.GetString(3),
        Sequence = reader.GetInt64(4),
        OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        ModelId = reader.GetString(7),
        ApiKeyId = reader.GetString(8),
        PromptTokens = reader.GetInt64(9),
        CompletionTokens = reader.GetInt64(10),
        CachedPromptTokens = reader.GetInt64(11),
        CacheCreationTokens = reader.GetInt64(12),
        CacheReadTokens = reader.GetInt64(13),
        ReasoningTokens = reader.GetInt64(14),
        StatusCode = reader.GetInt32(15),
        UpstreamLatencyMs = reader.GetInt64(16),
        CostUsd = decimal.Parse(reader.GetString(17), NumberStyles.Number, CultureInfo.InvariantCulture),
        CacheSavingsUsd = decimal.Parse(reader.GetString(18), NumberStyles.Number, CultureInfo.InvariantCulture),
        Unpriced = reader.GetInt64(19) != 0,
        CacheHit = reader.GetInt64(20) != 0,
    };

    /// <summary>
    /// The write connection with its two prepared statements, driven through SQLite's own API
    /// (SQLitePCL, which Microsoft.Data.Sqlite is built on): parameters bound by position and
    /// statements stepped and reset directly. Through <see cref="SqliteCommand"/> every row paid
    /// for a reader, a name lookup of each of its 21 parameters and boxing of every value, which
    /// made this single writer thread the ceiling of ingest.
    /// </summary>
    private sealed class Writer : ICommitter
    {
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _attribute;

        private Writer(SqliteConnection connection)
        {
            _connection = connection;
            _db = connection.Handle!;
            _insert = Prepare(_db, InsertSql, parameters: 21);
            _attribute = Prepare(_db, InsertAttributionSql, parameters: 6);
        }

        public static Writer Open(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                using var pragma = connection.CreateCommand();
                // WAL lets replays read while the writer commits; FULL makes every commit an fsync.
                // busy_timeout: wait inside SQLite should anything else (a migration) hold the write lock.
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;";
                pragma.ExecuteNonQuery();
                return new Writer(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches)
        {
            Execute("BEGIN IMMEDIATE");
            return Task.CompletedTask;
        }

        public Task<Appended> AppendAsync(IReadOnlyList<LedgerEntry> entries)
        {
            Execute("SAVEPOINT append");
            var inserted = new bool[entries.Count];
            try
            {
                for (var j = 0; j < entries.Count; j++)
                {
                    var entry = entries[j];
                    Bind(entry);
                    Step(_insert);
                    inserted[j] = raw.sqlite3_changes(_db) == 1;
                    if (inserted[j] && entry.CostUsd != 0m)
                    {
                        Attribute(entry);
                    }
                }
            }
            catch (SqliteException refusal)
            {
                raw.sqlite3_reset(_insert);
                raw.sqlite3_reset(_attribute);
                // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the
                // savepoint is gone, this throws, and the group is lost rather than half committed.
                Execute("ROLLBACK TO append");
                Execute("RELEASE append");
                return Task.FromResult(Appended.Refused(refusal));
            }

            Execute("RELEASE append");
            return Task.FromResult(Appended.Stored(inserted));
        }

        public Task CommitAsync()
        {
            Execute("COMMIT");
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            _attribute.Dispose();
            _insert.Dispose();
            await _connection.DisposeAsync();
        }

        /// <summary>Prepares a statement whose parameters <see cref="Bind"/> and <see cref="Attribute"/> set by position.</summary>
        private static sqlite3_stmt Prepare(sqlite3 db, string sql, int parameters)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, sql, out var statement), db);
            var count = raw.sqlite3_bind_parameter_count(statement);
            if (count != parameters)
            {
                statement.Dispose();
                throw new InvalidOperationException($"The ledger statement has {count} parameters; the writer binds {parameters}.");
            }

            return statement;
        }

        private void Execute(string sql) => SqliteException.ThrowExceptionForRC(raw.sqlite3_exec(_db, sql), _db);

        private void Step(sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            raw.sqlite3_reset(statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }

        private void Attribute(LedgerEntry e)
        {
            Text(_attribute, 1, e.EnvironmentId);
            Text(_attribute, 2, e.DpId);
            raw.sqlite3_bind_int64(_attribute, 3, e.Sequence);
            Text(_attribute, 6, e.CostUsd.ToString(CultureInfo.InvariantCulture));
            foreach (var attribution in e.Attributions)
            {
                Text(_attribute, 4, attribution.BudgetId);
                raw.sqlite3_bind_int64(_attribute, 5, attribution.PeriodStart.ToUnixTimeMilliseconds());
                Step(_attribute);
            }
        }

        /// <summary>Positions follow the column order of <see cref="InsertSql"/>.</summary>
        private void Bind(LedgerEntry e)
        {
            Text(_insert, 1, e.EnvironmentId);
            Text(_insert, 2, e.RequestId);
            raw.sqlite3_bind_int64(_insert, 3, e.AttemptIndex);
            Text(_insert, 4, e.DpId);
            raw.sqlite3_bind_int64(_insert, 5, e.Sequence);
            raw.sqlite3_bind_int64(_insert, 6, e.OccurredAt.ToUnixTimeMilliseconds());
            raw.sqlite3_bind_int64(_insert, 7, e.ReceivedAt.ToUnixTimeMilliseconds());
            Text(_insert, 8, e.ModelId);
            Text(_insert, 9, e.ApiKeyId);
            raw.sqlite3_bind_int64(_insert, 10, e.PromptTokens);
            raw.sqlite3_bind_int64(_insert, 11, e.CompletionTokens);
            raw.sqlite3_bind_int64(_insert, 12, e.CachedPromptTokens);
            raw.sqlite3_bind_int64(_insert, 13, e.CacheCreationTokens);
            raw.sqlite3_bind_int64(_insert, 14, e.CacheReadTokens);
            raw.sqlite3_bind_int64(_insert, 15, e.ReasoningTokens);
            raw.sqlite3_bind_int64(_insert, 16, e.StatusCode);
            raw.sqlite3_bind_int64(_insert, 17, e.UpstreamLatencyMs);
            Text(_insert, 18, e.CostUsd.ToString(CultureInfo.InvariantCulture));
            Text(_insert, 19, e.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture));
            raw.sqlite3_bind_int64(_insert, 20, e.Unpriced ? 1 : 0);
            raw.sqlite3_bind_int64(_insert, 21, e.CacheHit ? 1 : 0);
        }

        private void Text(sqlite3_stmt statement, int position, string value) =>
            SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(statement, position, value), _db);
    }
}
