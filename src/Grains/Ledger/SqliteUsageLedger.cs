using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Usage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage ledger in a SQLite file (the embedded default), group-committed by
/// <see cref="GroupCommitLedger"/> through one write connection (WAL, <c>synchronous=FULL</c>).
/// The writer numbers the rows it inserts in commit order (<c>pos</c>, the export cursor) and, in
/// the same transaction, adds them to the minute and hour rollups, so a usage view is exactly the
/// ledger. A file migrated from before the rollups (script 0004) gets the rollups of its old rows
/// once, in C#, the first time this ledger touches it (<see cref="EnsureRollupsCompleteAsync"/>).
/// </summary>
/// <param name="connectionString">The ledger file's connection string.</param>
/// <param name="writeRollups">
/// For benchmarks only (the rollups' cost on ingest): false writes the ledger rows without their
/// rollups, which leaves every usage view and scope sum wrong. Never a configuration setting.
/// </param>
public sealed class SqliteUsageLedger(string connectionString, bool writeRollups = true) : GroupCommitLedger
{
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

    /// <summary>The key of a rollup row besides its tier; <see cref="ReadRollupRow"/> reads them first.</summary>
    private const string RollupKeyColumns =
        "environment_id, start_ms, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id, status_class, attempt_kind, key_bound";

    /// <summary>The sums of a rollup row that add as integers.</summary>
    private static readonly string[] RollupCounts =
    [
        "attempts", "requests", "prompt_tokens", "completion_tokens", "cached_prompt_tokens", "cache_creation_tokens",
        "cache_read_tokens", "reasoning_tokens", "cache_hits", "unpriced_attempts", "error_attempts", "budget_denied",
        "latency_sum_ms", "ttft_count", "ttft_sum_ms",
    ];

    /// <summary>The sums of a rollup row, in the order <see cref="ReadRollupRow"/> reads and <see cref="RollupWriter"/> binds them.</summary>
    private static readonly string RollupColumns = RollupKeyColumns + ", " + string.Join(", ", RollupCounts)
        + ", spend_usd, cache_savings_usd, latency_max_ms, latency_histogram, ttft_histogram";

    private const int RollupColumnCount = 31;

    private static string TierName(RollupTier tier) => tier == RollupTier.Minute ? "minute" : "hour";

    private readonly Lock _backfillGate = new();
    private Task? _backfill;

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
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        return await ReadRollupsAsync(snapshot, query, RollupColumns, ReadRollupRow, cancellationToken);
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
        await using var connection = await OpenReaderAsync(cancellationToken);
        // WAL: the snapshot is taken by the first read and holds for both.
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var inScope = await ReadRollupsAsync(snapshot, scope, "spend_usd", reader => ParseMoney(reader.GetString(0)), cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = SumBudgetPeriodSql;
        var attributed = await ReadAllAsync(
            command, reader => ParseMoney(reader.GetString(0)), cancellationToken,
            ("$budget", budgetId), ("$period", periodStart.ToUnixTimeMilliseconds()));
        return new ScopeSpend(inScope.Sum(), attributed.Sum());
    }

    /// <summary>
    /// Reads <paramref name="columns"/> of the rollup rows that answer <paramref name="query"/>: per
    /// <see cref="RollupPlan"/>, hour rows for its hour ranges and minute rows for the rest.
    /// </summary>
    private static async Task<List<T>> ReadRollupsAsync<T>(
        SqliteTransaction snapshot, RollupQuery query, string columns, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var environments = query.EnvironmentIds.IsDefault ? [] : query.EnvironmentIds.Distinct(StringComparer.Ordinal).ToList();
        if (query.Filters.TryGetValue(UsageDimension.Environment, out var onlyEnvironments))
        {
            environments = [.. environments.Intersect(onlyEnvironments, StringComparer.Ordinal)];
        }

        var rows = new List<T>();
        if (environments.Count == 0 || query.Boundaries.IsDefaultOrEmpty)
        {
            return rows;
        }

        var plan = RollupPlan.For(query.Boundaries);
        foreach (var (tier, ranges) in new[] { (RollupTier.Minute, plan.Minutes), (RollupTier.Hour, plan.Hours) })
        {
            if (ranges.Count == 0)
            {
                continue;
            }

            await using var command = snapshot.Connection!.CreateCommand();
            command.Transaction = snapshot;
            command.CommandText = RollupSelect(columns, environments, query, command.Parameters);
            command.Parameters.AddWithValue("$tier", TierName(tier));
            var from = command.Parameters.Add("$from", SqliteType.Integer);
            var to = command.Parameters.Add("$to", SqliteType.Integer);
            foreach (var range in ranges)
            {
                from.Value = range.From.ToUnixTimeMilliseconds();
                to.Value = range.To.ToUnixTimeMilliseconds();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(read(reader));
                }
            }
        }

        return rows;
    }

    /// <summary>The select of rollup rows for a query's environments and filters; tier and time range are left to <c>$tier</c>, <c>$from</c>, <c>$to</c>.</summary>
    private static string RollupSelect(string columns, List<string> environments, RollupQuery query, SqliteParameterCollection parameters)
    {
        var sql = new StringBuilder().Append(CultureInfo.InvariantCulture, $"SELECT {columns} FROM usage_rollup WHERE environment_id IN (");
        AppendList(sql, parameters, "$e", environments);
        sql.Append(") AND tier = $tier AND start_ms >= $from AND start_ms < $to");
        var filter = 0;
        foreach (var (dimension, values) in query.Filters)
        {
            if (dimension == UsageDimension.Environment)
            {
                continue;
            }

            // A filter that lists nothing matches nothing.
            if (values.IsDefaultOrEmpty)
            {
                sql.Append(" AND 0");
                continue;
            }

            sql.Append(CultureInfo.InvariantCulture, $" AND {UsageDimensionNames.FieldName(dimension)} IN (");
            AppendList(sql, parameters, string.Create(CultureInfo.InvariantCulture, $"$f{filter++}_"), values);
            sql.Append(')');
        }

        if (query.KeyBoundOnly)
        {
            sql.Append(" AND key_bound = 1");
        }

        return sql.ToString();
    }

    private static void AppendList(StringBuilder sql, SqliteParameterCollection parameters, string prefix, IEnumerable<string> values)
    {
        var i = 0;
        foreach (var value in values)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}{i}");
            sql.Append(i++ == 0 ? name : "," + name);
            parameters.AddWithValue(name, value);
        }
    }

    protected override async Task<ICommitter> OpenCommitterAsync()
    {
        await EnsureRollupsCompleteAsync();
        return Writer.Open(connectionString, writeRollups);
    }

    /// <summary>A read connection, once the file's rollups cover every row.</summary>
    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        await EnsureRollupsCompleteAsync().WaitAsync(cancellationToken);
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
    /// Runs the one-time rollup of rows written before script 0004 (<see cref="BackfillRollups"/>)
    /// before this ledger's first read or write; once it has succeeded it costs nothing, and after
    /// a failure the next call tries again.
    /// </summary>
    private Task EnsureRollupsCompleteAsync()
    {
        if (_backfill is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        lock (_backfillGate)
        {
            if (_backfill is null || _backfill.IsFaulted || _backfill.IsCanceled)
            {
                _backfill = Task.Run(() => BackfillRollups(connectionString));
            }

            return _backfill;
        }
    }

    /// <summary>
    /// Script 0004 leaves a row in <c>usage_rollup_backfill</c> when the file had rows: their
    /// positions go up to <c>through_pos</c>, and their rollups are to be summed here, where decimal
    /// addition is exact. In one write transaction: the rows up to that position are read in
    /// <c>occurred_at</c> order and summed an hour at a time (memory stays that of an hour's keys),
    /// upserted like the writer's, and the marker is deleted; a crash leaves the marker and no
    /// rollup, and the next open does it all again. Rows the writer added since have positions above
    /// <c>through_pos</c> and their rollups already, so they are left out.
    /// </summary>
    private static void BackfillRollups(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        if (PendingBackfill(connection, null) is null)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        if (PendingBackfill(connection, transaction) is not { } through)
        {
            return;
        }

        using var rollups = new RollupWriter(connection.Handle!);
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT {EntryColumns} FROM usage_ledger WHERE pos <= $through ORDER BY occurred_at_ms";
            command.Parameters.AddWithValue("$through", through);
            using var reader = command.ExecuteReader();
            var minutes = new Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals>();
            DateTimeOffset? hour = null;
            while (reader.Read())
            {
                var entry = ReadEntry(reader);
                var start = Rollups.StartOf(entry.OccurredAt, RollupTier.Hour);
                if (start != hour)
                {
                    AddMinutesAndHours(rollups, minutes);
                    (minutes, hour) = ([], start);
                }

                Rollups.Add(minutes, entry, RollupTier.Minute);
            }

            AddMinutesAndHours(rollups, minutes);
        }

        using (var done = connection.CreateCommand())
        {
            done.Transaction = transaction;
            done.CommandText = "DELETE FROM usage_rollup_backfill";
            done.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Adds minute sums to the minute rows and, summed per hour, to the hour rows.</summary>
    private static void AddMinutesAndHours(RollupWriter rollups, Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> minutes)
    {
        rollups.Add(RollupTier.Minute, minutes);
        rollups.Add(RollupTier.Hour, Rollups.Coarsen(minutes, RollupTier.Hour));
    }

    private static long? PendingBackfill(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT max(through_pos) FROM usage_rollup_backfill";
        return command.ExecuteScalar() is long through ? through : null;
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

    /// <summary>Reads the columns of <see cref="RollupColumns"/>.</summary>
    private static RollupRow ReadRollupRow(DbDataReader reader) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
        new RollupKey(
            reader.GetString(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
            reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetInt64(10) != 0),
        ReadTotals(reader.GetInt64, reader.GetString, 11));

    /// <summary>Reads the sums of a rollup row (<see cref="RollupColumns"/> after the key), the first at column <paramref name="first"/>.</summary>
    private static UsageTotals ReadTotals(Func<int, long> integer, Func<int, string> text, int first) => new()
    {
        Attempts = integer(first),
        Requests = integer(first + 1),
        PromptTokens = integer(first + 2),
        CompletionTokens = integer(first + 3),
        CachedPromptTokens = integer(first + 4),
        CacheCreationTokens = integer(first + 5),
        CacheReadTokens = integer(first + 6),
        ReasoningTokens = integer(first + 7),
        CacheHits = integer(first + 8),
        UnpricedAttempts = integer(first + 9),
        ErrorAttempts = integer(first + 10),
        BudgetDenied = integer(first + 11),
        LatencySumMs = integer(first + 12),
        TtftCount = integer(first + 13),
        TtftSumMs = integer(first + 14),
        SpendUsd = ParseMoney(text(first + 15)),
        CacheSavingsUsd = ParseMoney(text(first + 16)),
        LatencyMaxMs = integer(first + 17),
        Latency = LatencyHistogram.Parse(text(first + 18)),
        Ttft = LatencyHistogram.Parse(text(first + 19)),
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
    /// Adds sums to the rollup rows. Money and histograms are text that SQL cannot add, so the sums
    /// are added here and whole rows written: a row's stored sums are read once (a primary-key
    /// lookup; none for a new row) and then kept, so the next group's rows for the same minute, hour
    /// and key (the common case under steady traffic) are added without reading or parsing. What is
    /// kept is right only while this connection alone writes the file: <see cref="Forget"/> drops it
    /// whenever another connection has committed (<c>PRAGMA data_version</c>), and a writer whose
    /// transaction fails is discarded with it. At most <see cref="KeptRows"/> rows are kept.
    /// </summary>
    private sealed class RollupWriter : IDisposable
    {
        private const int KeptRows = 50_000;

        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _write;
        private readonly sqlite3_stmt _read;
        private readonly Dictionary<(RollupTier, DateTimeOffset, RollupKey), UsageTotals> _stored = [];

        public RollupWriter(sqlite3 db)
        {
            _db = db;
            _write = Native.Prepare(_db, WriteSql(), RollupColumnCount + 1);
            try
            {
                _read = Native.Prepare(_db, ReadSql, 12);
            }
            catch
            {
                _write.Dispose();
                throw;
            }
        }

        /// <summary>Adds <paramref name="rows"/> (sums per start and key) to the stored <paramref name="tier"/> rows.</summary>
        public void Add(RollupTier tier, Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> rows)
        {
            if (_stored.Count + rows.Count > KeptRows)
            {
                Evict();
            }

            Native.Text(_db, _write, RollupColumnCount + 1, TierName(tier));
            foreach (var ((start, key), sums) in rows)
            {
                if (!_stored.TryGetValue((tier, start, key), out var stored))
                {
                    stored = Read(tier, start, key) ?? new UsageTotals();
                    _stored[(tier, start, key)] = stored;
                }

                stored.Add(sums);
                Write(start, key, stored);
            }
        }

        /// <summary>
        /// Keeps the rows of the latest two minutes and hours, which steady traffic adds to again;
        /// late events' rows are read again when they come. Should that still be too many, keeps none.
        /// </summary>
        private void Evict()
        {
            var latest = new Dictionary<RollupTier, DateTimeOffset>();
            foreach (var (tier, start, _) in _stored.Keys)
            {
                latest[tier] = latest.TryGetValue(tier, out var seen) && seen > start ? seen : start;
            }

            // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
            foreach (var row in _stored.Keys)
            {
                if (row.Item2 < latest[row.Item1] - Rollups.Width(row.Item1))
                {
                    _stored.Remove(row);
                }
            }

            if (_stored.Count > KeptRows / 2)
            {
                _stored.Clear();
            }
        }

        /// <summary>Drops the kept sums: another connection may have changed the stored ones.</summary>
        public void Forget() => _stored.Clear();

        public void Dispose()
        {
            _read.Dispose();
            _write.Dispose();
        }

        /// <summary>Inserts a row or replaces the sums of the stored one.</summary>
        private static string WriteSql()
        {
            var values = string.Join(", ", Enumerable.Range(1, RollupColumnCount + 1).Select(i => string.Create(CultureInfo.InvariantCulture, $"?{i}")));
            var sums = string.Join(", ", RollupColumns.Split(',').Skip(11).Select(column => column.Trim()).Select(column => $"{column} = excluded.{column}"));
            return $"""
                INSERT INTO usage_rollup ({RollupColumns}, tier) VALUES ({values})
                ON CONFLICT (environment_id, tier, start_ms, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id,
                             status_class, attempt_kind, key_bound) DO UPDATE SET {sums}
                """;
        }

        private static readonly string ReadSql = $"""
            SELECT {string.Join(", ", RollupColumns.Split(',').Skip(11).Select(column => column.Trim()))}
            FROM usage_rollup
            WHERE environment_id = ?1 AND start_ms = ?2 AND dp_id = ?3 AND api_key_id = ?4 AND model_id = ?5
              AND provider_key_id = ?6 AND team_id = ?7 AND member_id = ?8 AND status_class = ?9 AND attempt_kind = ?10
              AND key_bound = ?11 AND tier = ?12
            """;

        private UsageTotals? Read(RollupTier tier, DateTimeOffset start, RollupKey key)
        {
            BindKey(_read, start, key);
            Native.Text(_db, _read, 12, TierName(tier));
            var rc = raw.sqlite3_step(_read);
            try
            {
                return rc switch
                {
                    raw.SQLITE_ROW => ReadTotals(i => raw.sqlite3_column_int64(_read, i), i => raw.sqlite3_column_text(_read, i).utf8_to_string(), 0),
                    raw.SQLITE_DONE => null,
                    _ => throw new SqliteException($"Reading a rollup row failed ({raw.sqlite3_errmsg(_db).utf8_to_string()}).", rc),
                };
            }
            finally
            {
                raw.sqlite3_reset(_read);
            }
        }

        private void BindKey(sqlite3_stmt s, DateTimeOffset start, RollupKey key)
        {
            Native.Text(_db, s, 1, key.EnvironmentId);
            raw.sqlite3_bind_int64(s, 2, start.ToUnixTimeMilliseconds());
            Native.Text(_db, s, 3, key.DpId);
            Native.Text(_db, s, 4, key.ApiKeyId);
            Native.Text(_db, s, 5, key.ModelId);
            Native.Text(_db, s, 6, key.ProviderKeyId);
            Native.Text(_db, s, 7, key.TeamId);
            Native.Text(_db, s, 8, key.MemberId);
            Native.Text(_db, s, 9, key.StatusClass);
            Native.Text(_db, s, 10, key.AttemptKind);
            raw.sqlite3_bind_int64(s, 11, key.KeyBound ? 1 : 0);
        }

        /// <summary>Positions follow the column order of <see cref="RollupColumns"/>.</summary>
        private void Write(DateTimeOffset start, RollupKey key, UsageTotals t)
        {
            var s = _write;
            BindKey(s, start, key);
            Native.Integers(s, 12,
                t.Attempts, t.Requests, t.PromptTokens, t.CompletionTokens, t.CachedPromptTokens, t.CacheCreationTokens,
                t.CacheReadTokens, t.ReasoningTokens, t.CacheHits, t.UnpricedAttempts, t.ErrorAttempts, t.BudgetDenied,
                t.LatencySumMs, t.TtftCount, t.TtftSumMs);
            Native.Text(_db, s, 27, t.SpendUsd.ToString(CultureInfo.InvariantCulture));
            Native.Text(_db, s, 28, t.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture));
            raw.sqlite3_bind_int64(s, 29, t.LatencyMaxMs);
            Native.Text(_db, s, 30, t.Latency.Encode());
            Native.Text(_db, s, 31, t.Ttft.Encode());
            Native.Step(_db, s);
        }
    }

    /// <summary>
    /// The write connection with its prepared statements, driven through <see cref="Native"/>.
    /// Through <see cref="SqliteCommand"/> every row paid for a reader, a name lookup of each of its
    /// parameters and boxing of every value, which made this single writer thread the ceiling of
    /// ingest. Positions continue from the largest stored one, read under the write lock at the
    /// start of each group; rows an append inserted are added to the rollups when the group
    /// commits, in its transaction: a refused append rolls back to its savepoint first and adds
    /// nothing, and a group that fails leaves neither rows nor rollups.
    /// </summary>
    private sealed class Writer : ICommitter
    {
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _attribute;
        private readonly sqlite3_stmt _lastPosition;
        private readonly sqlite3_stmt _dataVersion;
        private readonly RollupWriter _rollups;
        private readonly List<LedgerEntry> _inserted = [];
        private readonly bool _writeRollups;
        private long _position;
        private long? _version;

        private Writer(SqliteConnection connection, bool writeRollups)
        {
            _connection = connection;
            _writeRollups = writeRollups;
            _db = connection.Handle!;
            _rollups = new RollupWriter(_db);
            _insert = Native.Prepare(_db, InsertSql, parameters: EntryColumnCount);
            _attribute = Native.Prepare(_db, InsertAttributionSql, parameters: 6);
            _lastPosition = Native.Prepare(_db, "SELECT coalesce(max(pos), 0) FROM usage_ledger", parameters: 0);
            _dataVersion = Native.Prepare(_db, "PRAGMA data_version", parameters: 0);
        }

        public static Writer Open(string connectionString, bool writeRollups)
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
                return new Writer(connection, writeRollups);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches)
        {
            Native.Execute(_db, "BEGIN IMMEDIATE");
            _inserted.Clear();
            _position = Native.Scalar(_db, _lastPosition);
            // Another connection committed since this one last did: the rollup sums kept may be stale.
            var version = Native.Scalar(_db, _dataVersion);
            if (version != _version)
            {
                _rollups.Forget();
                _version = version;
            }

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
            if (_inserted.Count > 0 && _writeRollups)
            {
                AddMinutesAndHours(_rollups, Rollups.Aggregate(_inserted, null, RollupTier.Minute));
                _inserted.Clear();
            }

            Native.Execute(_db, "COMMIT");
            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            _dataVersion.Dispose();
            _lastPosition.Dispose();
            _attribute.Dispose();
            _insert.Dispose();
            _rollups.Dispose();
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
