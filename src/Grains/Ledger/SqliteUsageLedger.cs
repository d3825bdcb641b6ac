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
/// The writer numbers the rows it inserts in commit order (<c>pos</c>, the export cursor); the
/// rollups are folded from them afterwards, and a usage view adds the rows not folded yet
/// (SqliteUsageLedger.Rollups.cs), so it is exactly the ledger.
/// </summary>
/// <param name="connectionString">The ledger file's connection string.</param>
/// <param name="foldInterval">How long committed rows wait at most to be stored in the rollups (<see cref="DefaultFoldInterval"/> when null).</param>
public sealed partial class SqliteUsageLedger(string connectionString, TimeSpan? foldInterval = null)
    : GroupCommitLedger(foldInterval ?? DefaultFoldInterval, eagerFoldRows: 1_000_000)
{
    /// <summary>
    /// 30 s: views read what is summed and not stored from memory, so only the cost of storing and
    /// a restart's first fold (reading back at most this long's rows) depend on it.
    /// </summary>
    public static readonly TimeSpan DefaultFoldInterval = TimeSpan.FromSeconds(30);

    /// <summary>Every column of a row, in the order <see cref="ReadEntry"/> reads and the writer binds.</summary>
    private const string EntryColumns = """
        environment_id, request_id, attempt_index, dp_id, seq, occurred_at_ms, received_at_ms,
        model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
        cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
        upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit,
        guardrail_blocked, upstream_ttft_ms, downstream_latency_ms, requested_model, attempt_kind,
        error_class, cache_status, provider_key_id, team_id, member_id, key_bound, price_version, pos
        """;

    private const int EntryColumnCount = 34;

    /// <summary>The largest position stored (0 for an empty ledger).</summary>
    private const string LastPositionSql = "SELECT coalesce(max(pos), 0) FROM usage_ledger";

    private const string InsertSql = $"""
        INSERT INTO usage_ledger ({EntryColumns})
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)
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

    private const string ReadGatewaySql = $"""
        SELECT {EntryColumns}
        FROM usage_ledger
        WHERE environment_id = $env AND dp_id = $dp AND seq > $after
        ORDER BY seq
        """;

    private const string ReadEventsSql = $"""
        SELECT {EntryColumns}
        FROM usage_ledger
        WHERE environment_id = $env AND pos > $after
        ORDER BY pos
        LIMIT $limit
        """;

    private const string SumBudgetPeriodSql = "SELECT cost_usd FROM usage_attribution WHERE budget_id = $budget AND period_start_ms = $period";

    public override async Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        await QueryAsync(ReadGatewaySql, ReadEntry, cancellationToken, ("$env", environmentId), ("$dp", dpId), ("$after", afterSequence));

    public override async Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        await QueryAsync(ReadGatewayAttributionsSql, ReadAttribution, cancellationToken, ("$env", environmentId), ("$dp", dpId), ("$after", afterSequence));

    public override async Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default) =>
        await QueryAsync(ReadBudgetAttributionsSql, ReadAttribution, cancellationToken, ("$budget", budgetId), ("$from", periodsFrom.ToUnixTimeMilliseconds()));

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await ReadAllAsync(command, read, cancellationToken, parameters);
    }

    /// <remarks>Money is decimal text in SQLite, whose SUM would be binary floating point: summed here.</remarks>
    public override async Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        var costs = await QueryAsync(
            SumBudgetPeriodSql, reader => ParseMoney(reader.GetString(0)),
            cancellationToken, ("$budget", budgetId), ("$period", periodStart.ToUnixTimeMilliseconds()));
        return costs.Sum();
    }

    /// <remarks>
    /// An environment's rows are a range of the primary key; each is read in full and filtered by
    /// occurred_at (SQLite keeps no index by time), and money is summed here in exact decimal.
    /// </remarks>
    public override async Task<IReadOnlyList<TokenSums>> SumTokensAsync(
        IReadOnlyList<string> environmentIds, DateTimeOffset occurredFrom, DateTimeOffset occurredBefore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environmentIds);
        var sums = new Dictionary<(string Model, int? Version, bool CacheHit), TokenSums>();
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        foreach (var environmentId in environmentIds.Distinct(StringComparer.Ordinal))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = snapshot;
            command.CommandText = """
                SELECT model_id, price_version, cache_hit, prompt_tokens, cached_prompt_tokens, completion_tokens,
                       cache_creation_tokens, cache_read_tokens, cost_usd
                FROM usage_ledger WHERE environment_id = $env AND occurred_at_ms >= $from AND occurred_at_ms < $to
                """;
            command.Parameters.AddWithValue("$env", environmentId);
            command.Parameters.AddWithValue("$from", occurredFrom.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$to", occurredBefore.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.IsDBNull(1) ? (int?)null : reader.GetInt32(1), reader.GetInt64(2) != 0);
                var row = new TokenSums(
                    key.Item1, key.Item2, key.Item3, 1, reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
                    reader.GetInt64(6), reader.GetInt64(7), ParseMoney(reader.GetString(8)));
                sums[key] = sums.TryGetValue(key, out var sum) ? Add(sum, row) : row;
            }
        }

        return [.. sums.Values];
    }

    private static TokenSums Add(TokenSums a, TokenSums b) => a with
    {
        Attempts = a.Attempts + b.Attempts,
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CachedPromptTokens = a.CachedPromptTokens + b.CachedPromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        CacheCreationTokens = a.CacheCreationTokens + b.CacheCreationTokens,
        CacheReadTokens = a.CacheReadTokens + b.CacheReadTokens,
        SpendUsd = a.SpendUsd + b.SpendUsd,
    };

    /// <remarks>BEGIN IMMEDIATE takes the write lock an append needs (waiting out the busy timeout), then gives it back.</remarks>
    public override async Task ProbeWriteAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var probe = connection.BeginTransaction(deferred: false);
        await probe.RollbackAsync(cancellationToken);
    }

    public override async Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default)
    {
        var costs = await QueryAsync(
            "SELECT cost_usd FROM usage_ledger WHERE environment_id = $env AND dp_id = $dp",
            reader => ParseMoney(reader.GetString(0)),
            cancellationToken, ("$env", environmentId), ("$dp", dpId));
        return (costs.Count, costs.Sum());
    }

    public override async Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        StartFolding();
        await using var connection = await OpenRollupReaderAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        return await ReadRollupsAsync(snapshot, query, cancellationToken);
    }

    /// <remarks>
    /// Each environment is read by its own index range (environment, position), and the pages are
    /// merged: one snapshot, so no commit can fall between them. The one writer numbers rows in
    /// commit order, so every row committed after the snapshot has a larger position than all
    /// those in it, and a reader that goes on from the last position never skips one.
    /// </remarks>
    public override async Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var environments = environmentIds.IsDefault ? [] : environmentIds.Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<LedgerEntry>();
        if (environments.Count > 0)
        {
            await using var connection = await OpenReaderAsync(cancellationToken);
            await using var snapshot = connection.BeginTransaction(deferred: true);
            foreach (var environment in environments)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = snapshot;
                command.CommandText = ReadEventsSql;
                rows.AddRange(await ReadAllAsync(
                    command, ReadEntry, cancellationToken, ("$env", environment), ("$after", after.Number), ("$limit", limit + 1)));
            }
        }

        var page = rows.OrderBy(row => row.Position).Take(limit).ToList();
        return new ExportPage(page, page.Count > 0 ? page[^1].Position : after, rows.Count > limit);
    }

    public override async Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        StartFolding();
        await using var connection = await OpenRollupReaderAsync(cancellationToken);
        // WAL: the snapshot is taken by the first read and holds for both.
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var inScope = (await ReadRollupsAsync(snapshot, scope, cancellationToken)).Sum(row => row.Totals.SpendUsd);
        await using var command = connection.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = SumBudgetPeriodSql;
        var attributed = await ReadAllAsync(
            command, reader => ParseMoney(reader.GetString(0)), cancellationToken,
            ("$budget", budgetId), ("$period", periodStart.ToUnixTimeMilliseconds()));
        return new ScopeSpend(inScope, attributed.Sum());
    }

    /// <remarks>
    /// The rollup file is checked first (<c>PrepareRollupsAsync</c>), so that rollups ahead of a
    /// restored ledger are found before this process numbers new rows past their position.
    /// </remarks>
    protected override async Task<ICommitter> OpenCommitterAsync()
    {
        await RollupsReadyAsync();
        return Writer.Open(connectionString, Handed);
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A read connection to the ledger with the rollup file attached (as <c>rollups</c>: its tables
    /// are not in the ledger's file, so their names need no prefix). A read transaction on it takes
    /// each file's snapshot at its first read of that file; every read of both reads the rollups'
    /// position before any ledger row, so the ledger's snapshot holds every row the rollups do.
    /// </summary>
    private async Task<SqliteConnection> OpenRollupReaderAsync(CancellationToken cancellationToken)
    {
        await RollupsReadyAsync().WaitAsync(cancellationToken);
        var connection = await OpenReaderAsync(cancellationToken);
        try
        {
            await using var attach = connection.CreateCommand();
            // A pooled connection keeps what it attached.
            attach.CommandText = "SELECT count(*) FROM pragma_database_list WHERE name = 'rollups'";
            if ((long)(await attach.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                attach.CommandText = "ATTACH DATABASE $file AS rollups";
                attach.Parameters.AddWithValue("$file", new SqliteConnectionStringBuilder(_rollupsConnectionString).DataSource);
                await attach.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a connection, runs <paramref name="pragmas"/> on it and hands it to <paramref name="create"/>; closes it if either fails.</summary>
    private static T OpenConnection<T>(string connectionString, string pragmas, Func<SqliteConnection, T> create)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = pragmas;
            pragma.ExecuteNonQuery();
            return create(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static decimal ParseMoney(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    private static AttributionRow ReadAttribution(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetInt64(3),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        ParseMoney(reader.GetString(5)));

    /// <summary>Reads the columns of <see cref="EntryColumns"/>; a row's attributions are not read with it.</summary>
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
        CostUsd = ParseMoney(reader.GetString(17)),
        CacheSavingsUsd = ParseMoney(reader.GetString(18)),
        Unpriced = reader.GetInt64(19) != 0,
        CacheHit = reader.GetInt64(20) != 0,
        GuardrailBlocked = reader.GetInt64(21) != 0,
        UpstreamTtftMs = reader.IsDBNull(22) ? null : reader.GetInt64(22),
        DownstreamLatencyMs = reader.IsDBNull(23) ? null : reader.GetInt64(23),
        RequestedModel = reader.IsDBNull(24) ? null : reader.GetString(24),
        AttemptKind = reader.IsDBNull(25) ? null : reader.GetString(25),
        ErrorClass = reader.IsDBNull(26) ? null : reader.GetString(26),
        CacheStatus = reader.IsDBNull(27) ? null : reader.GetString(27),
        ProviderKeyId = reader.IsDBNull(28) ? null : reader.GetString(28),
        TeamId = reader.IsDBNull(29) ? null : reader.GetString(29),
        MemberId = reader.IsDBNull(30) ? null : reader.GetString(30),
        KeyBound = reader.GetInt64(31) != 0,
        PriceVersion = reader.IsDBNull(32) ? null : reader.GetInt32(32),
        Position = new CommitPosition(0, reader.GetInt64(33)),
    };

    /// <summary>
    /// SQLite's own API (SQLitePCL, which Microsoft.Data.Sqlite is built on) for the writer's hot
    /// statements: parameters bound by position and statements stepped and reset directly.
    /// </summary>
    private static class Native
    {
        /// <summary>Prepares a statement whose parameters are set by position.</summary>
        public static sqlite3_stmt Prepare(sqlite3 db, string sql, int parameters)
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

        /// <summary>Steps a statement that answers one integer.</summary>
        public static long Scalar(sqlite3 db, sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            var value = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(statement, 0) : 0;
            raw.sqlite3_reset(statement);
            if (rc != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }

            return value;
        }

        public static void Execute(sqlite3 db, string sql) => SqliteException.ThrowExceptionForRC(raw.sqlite3_exec(db, sql), db);

        public static void Step(sqlite3 db, sqlite3_stmt statement)
        {
            var rc = raw.sqlite3_step(statement);
            raw.sqlite3_reset(statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }

        public static void Text(sqlite3 db, sqlite3_stmt statement, int position, string? value) =>
            SqliteException.ThrowExceptionForRC(
                value is null ? raw.sqlite3_bind_null(statement, position) : raw.sqlite3_bind_text(statement, position, value), db);

        /// <summary>Binds <paramref name="values"/> to the positions from <paramref name="first"/> on.</summary>
        public static void Integers(sqlite3_stmt statement, int first, params ReadOnlySpan<long> values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                raw.sqlite3_bind_int64(statement, first + i, values[i]);
            }
        }

        public static void Integer(sqlite3_stmt statement, int position, long? value)
        {
            if (value is { } number)
            {
                raw.sqlite3_bind_int64(statement, position, number);
            }
            else
            {
                raw.sqlite3_bind_null(statement, position);
            }
        }
    }

    /// <summary>
    /// The write connection with its prepared statements, driven through <see cref="Native"/>.
    /// Through <see cref="SqliteCommand"/> every row paid for a reader, a name lookup of each of its
    /// parameters and boxing of every value, which made this single writer thread the ceiling of
    /// ingest. Positions continue from the largest stored one, read under the write lock at the
    /// start of each group, so they follow commit order; a refused append rolls back to its
    /// savepoint and gives its positions back. The rows a group inserted are handed to the fold once
    /// it has committed (<see cref="Handed"/>).
    /// </summary>
    private sealed class Writer : ICommitter
    {
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _attribute;
        private readonly sqlite3_stmt _lastPosition;
        private readonly Action<long, List<LedgerEntry>> _committed;
        private List<LedgerEntry> _inserted = [];
        private long _position;

        private Writer(SqliteConnection connection, Action<long, List<LedgerEntry>> committed)
        {
            _connection = connection;
            _committed = committed;
            _db = connection.Handle!;
            _insert = Native.Prepare(_db, InsertSql, parameters: EntryColumnCount);
            _attribute = Native.Prepare(_db, InsertAttributionSql, parameters: 6);
            _lastPosition = Native.Prepare(_db, LastPositionSql, parameters: 0);
        }

        // WAL lets replays read while the writer commits; FULL makes every commit an fsync.
        // busy_timeout: wait inside SQLite should anything else (a migration, another writer) hold the write lock.
        public static Writer Open(string connectionString, Action<long, List<LedgerEntry>> committed) => OpenConnection(
            connectionString, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;", connection => new Writer(connection, committed));

        public Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches)
        {
            Native.Execute(_db, "BEGIN IMMEDIATE");
            _position = Native.Scalar(_db, _lastPosition);
            _inserted = [];
            return Task.CompletedTask;
        }

        public Task<Appended> AppendAsync(IReadOnlyList<LedgerEntry> entries)
        {
            Native.Execute(_db, "SAVEPOINT append");
            var (position, kept) = (_position, _inserted.Count);
            var inserted = new bool[entries.Count];
            try
            {
                for (var j = 0; j < entries.Count; j++)
                {
                    var entry = entries[j];
                    Bind(entry, _position + 1);
                    Native.Step(_db, _insert);
                    inserted[j] = raw.sqlite3_changes(_db) == 1;
                    if (inserted[j])
                    {
                        _position++;
                        _inserted.Add(entry);
                        if (entry.CostUsd != 0m)
                        {
                            Attribute(entry);
                        }
                    }
                }
            }
            catch (SqliteException refusal)
            {
                raw.sqlite3_reset(_insert);
                raw.sqlite3_reset(_attribute);
                _position = position;
                _inserted.RemoveRange(kept, _inserted.Count - kept);
                // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the
                // savepoint is gone, this throws, and the group is lost rather than half committed.
                Native.Execute(_db, "ROLLBACK TO append");
                Native.Execute(_db, "RELEASE append");
                return Task.FromResult(Appended.Refused(refusal));
            }

            Native.Execute(_db, "RELEASE append");
            return Task.FromResult(Appended.Stored(inserted));
        }

        public Task CommitAsync()
        {
            Native.Execute(_db, "COMMIT");
            if (_inserted.Count > 0)
            {
                _committed(_position - _inserted.Count + 1, _inserted);
            }

            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            _lastPosition.Dispose();
            _attribute.Dispose();
            _insert.Dispose();
            await _connection.DisposeAsync();
        }

        private void Attribute(LedgerEntry e)
        {
            Native.Text(_db, _attribute, 1, e.EnvironmentId);
            Native.Text(_db, _attribute, 2, e.DpId);
            raw.sqlite3_bind_int64(_attribute, 3, e.Sequence);
            Native.Text(_db, _attribute, 6, e.CostUsd.ToString(CultureInfo.InvariantCulture));
            foreach (var attribution in e.Attributions)
            {
                Native.Text(_db, _attribute, 4, attribution.BudgetId);
                raw.sqlite3_bind_int64(_attribute, 5, attribution.PeriodStart.ToUnixTimeMilliseconds());
                Native.Step(_db, _attribute);
            }
        }

        /// <summary>Positions follow the column order of <see cref="EntryColumns"/>.</summary>
        private void Bind(LedgerEntry e, long position)
        {
            Native.Text(_db, _insert, 1, e.EnvironmentId);
            Native.Text(_db, _insert, 2, e.RequestId);
            raw.sqlite3_bind_int64(_insert, 3, e.AttemptIndex);
            Native.Text(_db, _insert, 4, e.DpId);
            raw.sqlite3_bind_int64(_insert, 5, e.Sequence);
            raw.sqlite3_bind_int64(_insert, 6, e.OccurredAt.ToUnixTimeMilliseconds());
            raw.sqlite3_bind_int64(_insert, 7, e.ReceivedAt.ToUnixTimeMilliseconds());
            Native.Text(_db, _insert, 8, e.ModelId);
            Native.Text(_db, _insert, 9, e.ApiKeyId);
            Native.Integers(_insert, 10,
                e.PromptTokens, e.CompletionTokens, e.CachedPromptTokens, e.CacheCreationTokens, e.CacheReadTokens,
                e.ReasoningTokens, e.StatusCode, e.UpstreamLatencyMs);
            Native.Text(_db, _insert, 18, e.CostUsd.ToString(CultureInfo.InvariantCulture));
            Native.Text(_db, _insert, 19, e.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture));
            raw.sqlite3_bind_int64(_insert, 20, e.Unpriced ? 1 : 0);
            raw.sqlite3_bind_int64(_insert, 21, e.CacheHit ? 1 : 0);
            raw.sqlite3_bind_int64(_insert, 22, e.GuardrailBlocked ? 1 : 0);
            Native.Integer(_insert, 23, e.UpstreamTtftMs);
            Native.Integer(_insert, 24, e.DownstreamLatencyMs);
            Native.Text(_db, _insert, 25, e.RequestedModel);
            Native.Text(_db, _insert, 26, e.AttemptKind);
            Native.Text(_db, _insert, 27, e.ErrorClass);
            Native.Text(_db, _insert, 28, e.CacheStatus);
            Native.Text(_db, _insert, 29, e.ProviderKeyId);
            Native.Text(_db, _insert, 30, e.TeamId);
            Native.Text(_db, _insert, 31, e.MemberId);
            raw.sqlite3_bind_int64(_insert, 32, e.KeyBound ? 1 : 0);
            Native.Integer(_insert, 33, e.PriceVersion);
            raw.sqlite3_bind_int64(_insert, 34, position);
        }
    }
}
