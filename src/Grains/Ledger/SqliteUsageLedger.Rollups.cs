using System.Data.Common;
using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Usage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage rollups of the SQLite ledger (script 0005): full rows per minute and hour
/// (<c>usage_rollup</c>), projection rows per minute, hour and day (<c>usage_rollup_by</c>), and the
/// position up to which both hold every ledger row (<c>usage_rollup_folded</c>). Folding reads the
/// rows after that position, sums them in C# and writes the sums and the new position in one write
/// transaction; a read adds the rows after the position it sees, in the same snapshot.
/// </summary>
public sealed partial class SqliteUsageLedger
{
    /// <summary>
    /// Rows folded per write transaction at most. The rows are summed as they are read, so memory is
    /// that of the rollup rows they touch; the write lock is held for writing those rows only.
    /// </summary>
    private const int FoldRowsPerTransaction = 1_000_000;

    /// <summary>The sums of a rollup row, in the order <see cref="ReadTotals"/> reads and <see cref="RollupWriter"/> binds them.</summary>
    private const string SumColumns = """
        attempts, requests, prompt_tokens, completion_tokens, cached_prompt_tokens, cache_creation_tokens,
        cache_read_tokens, reasoning_tokens, cache_hits, unpriced_attempts, error_attempts, budget_denied,
        latency_sum_ms, ttft_count, ttft_sum_ms, spend_usd, cache_savings_usd, latency_max_ms, latency_histogram, ttft_histogram
        """;

    private const int SumColumnCount = 20;

    /// <summary>The primary key of a full row; <see cref="ReadFullRow"/> reads them first.</summary>
    private const string FullKeyColumns =
        "environment_id, tier, start_ms, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id, status_class, attempt_kind, key_bound";

    /// <summary>The primary key of a projection row; <see cref="ReadProjectionRow"/> reads them first.</summary>
    private const string ProjectionKeyColumns = "environment_id, tier, dimension, start_ms, value, key_bound";

    private const string FoldedSql = "SELECT through_pos FROM usage_rollup_folded WHERE id = 1";

    private readonly SemaphoreSlim _folding = new(1, 1);
    private Folder? _folder;

    private static string TierName(RollupTier tier) => tier switch
    {
        RollupTier.Minute => "minute",
        RollupTier.Hour => "hour",
        RollupTier.Day => "day",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    public override async Task<long> FoldAsync(CancellationToken cancellationToken = default)
    {
        await _folding.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => FoldPending(cancellationToken), cancellationToken);
        }
        finally
        {
            _folding.Release();
        }
    }

    public override async Task<long> UnfoldedRowsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var folded = await ScalarAsync(snapshot, FoldedSql, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT coalesce(max(pos), 0) FROM usage_ledger";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! - folded;
    }

    protected override ValueTask DisposeFoldingAsync()
    {
        _folder?.Dispose();
        _folder = null;
        _folding.Dispose();
        return ValueTask.CompletedTask;
    }

    private long FoldPending(CancellationToken cancellationToken)
    {
        var total = 0L;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _folder ??= Folder.Open(connectionString);
            int folded;
            try
            {
                folded = _folder.FoldOnce(FoldRowsPerTransaction);
            }
            catch
            {
                _folder.Dispose();
                _folder = null;
                throw;
            }

            // Another process folded first: go on from where it got to.
            if (folded < 0)
            {
                continue;
            }

            total += folded;
            if (folded < FoldRowsPerTransaction)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// The rows that answer <paramref name="query"/> in <paramref name="snapshot"/>: the stored
    /// rollup rows of its shape (<see cref="RollupShape"/>) per <see cref="RollupPlan"/>, and the
    /// ledger rows after the folded position, summed per minute.
    /// </summary>
    private static async Task<List<RollupRow>> ReadRollupsAsync(SqliteTransaction snapshot, RollupQuery query, CancellationToken cancellationToken)
    {
        var environments = query.EnvironmentIds.IsDefault ? [] : query.EnvironmentIds.Distinct(StringComparer.Ordinal).ToList();
        if (query.Filters.TryGetValue(UsageDimension.Environment, out var onlyEnvironments))
        {
            environments = [.. environments.Intersect(onlyEnvironments.IsDefault ? [] : onlyEnvironments, StringComparer.Ordinal)];
        }

        var rows = new List<RollupRow>();
        if (environments.Count == 0 || query.Boundaries.IsDefaultOrEmpty)
        {
            return rows;
        }

        var folded = await ScalarAsync(snapshot, FoldedSql, cancellationToken);
        var plan = RollupPlan.For(query.Boundaries);
        var shape = RollupShape.For(query);
        foreach (var tier in Enum.GetValues<RollupTier>())
        {
            // Full rows have no day tier: a day is read as its hours.
            var stored = shape.Full && tier == RollupTier.Day ? RollupTier.Hour : tier;
            await ReadTierAsync(snapshot, query, shape, environments, stored, plan.Of(tier), rows, cancellationToken);
        }

        var unfolded = new List<LedgerEntry>();
        await using (var command = snapshot.Connection!.CreateCommand())
        {
            command.Transaction = snapshot;
            command.CommandText = $"""
                SELECT {EntryColumns} FROM usage_ledger
                WHERE environment_id = $env AND pos > $folded AND occurred_at_ms >= $from AND occurred_at_ms < $to
                """;
            var environment = command.Parameters.Add("$env", SqliteType.Text);
            command.Parameters.AddWithValue("$folded", folded);
            command.Parameters.AddWithValue("$from", query.Boundaries[0].ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$to", query.Boundaries[^1].ToUnixTimeMilliseconds());
            foreach (var id in environments)
            {
                environment.Value = id;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    unfolded.Add(ReadEntry(reader));
                }
            }
        }

        rows.AddRange(RollupFold.Unfolded(unfolded, query));
        return rows;
    }

    private static async Task ReadTierAsync(
        SqliteTransaction snapshot, RollupQuery query, RollupShape shape, List<string> environments, RollupTier tier,
        IReadOnlyList<RollupPlan.Range> ranges, List<RollupRow> rows, CancellationToken cancellationToken)
    {
        if (ranges.Count == 0)
        {
            return;
        }

        await using var command = snapshot.Connection!.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = RollupSelect(shape, environments, query, command.Parameters);
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
                rows.Add(shape.Full ? ReadFullRow(reader) : ReadProjectionRow(reader));
            }
        }
    }

    /// <summary>The select of a shape's rows for a query's environments and filters; tier and time range are left to <c>$tier</c>, <c>$from</c>, <c>$to</c>.</summary>
    private static string RollupSelect(RollupShape shape, List<string> environments, RollupQuery query, SqliteParameterCollection parameters)
    {
        var sql = new StringBuilder();
        if (shape.Full)
        {
            sql.Append(CultureInfo.InvariantCulture, $"SELECT {FullKeyColumns}, {SumColumns} FROM usage_rollup WHERE environment_id IN (");
        }
        else
        {
            sql.Append(CultureInfo.InvariantCulture, $"SELECT {ProjectionKeyColumns}, {SumColumns} FROM usage_rollup_by WHERE environment_id IN (");
        }

        AppendList(sql, parameters, "$e", environments);
        sql.Append(") AND tier = $tier AND start_ms >= $from AND start_ms < $to");
        if (!shape.Full)
        {
            sql.Append(" AND dimension = $dimension");
            parameters.AddWithValue("$dimension", new ProjectionKey("", shape.Dimension, "", false).DimensionName);
        }

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

            var column = shape.Full ? UsageDimensionNames.FieldName(dimension) : "value";
            sql.Append(CultureInfo.InvariantCulture, $" AND {column} IN (");
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

    private static async Task<long> ScalarAsync(SqliteTransaction snapshot, string sql, CancellationToken cancellationToken)
    {
        await using var command = snapshot.Connection!.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken) is long value
            ? value
            : throw new InvalidOperationException("The ledger has no usage_rollup_folded row: its schema is older than script 0005.");
    }

    /// <summary>Reads the columns of <see cref="FullKeyColumns"/> and <see cref="SumColumns"/>.</summary>
    private static RollupRow ReadFullRow(DbDataReader reader) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
        new RollupKey(
            reader.GetString(0), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
            reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetString(10), reader.GetInt64(11) != 0),
        ReadTotals(reader.GetInt64, reader.GetString, 12));

    /// <summary>Reads the columns of <see cref="ProjectionKeyColumns"/> and <see cref="SumColumns"/>.</summary>
    private static RollupRow ReadProjectionRow(DbDataReader reader) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        new ProjectionKey(reader.GetString(0), ProjectionKey.ParseDimension(reader.GetString(2)), reader.GetString(4), reader.GetInt64(5) != 0).ToRollupKey(),
        ReadTotals(reader.GetInt64, reader.GetString, 6));

    /// <summary>Reads the columns of <see cref="SumColumns"/>, the first at column <paramref name="first"/>.</summary>
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
    /// The fold's own connection. <see cref="FoldOnce"/> reads rows after the folded position
    /// without the write lock (WAL: beside the ingest writer), sums them, and then, under the write
    /// lock, checks that the position has not moved, adds the sums and moves it.
    /// </summary>
    private sealed class Folder : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _folded;
        private readonly sqlite3_stmt _advance;
        private readonly RollupWriter _rollups;
        private long? _wrote;

        private Folder(SqliteConnection connection)
        {
            _connection = connection;
            _db = connection.Handle!;
            _folded = Native.Prepare(_db, FoldedSql, parameters: 0);
            _advance = Native.Prepare(_db, "UPDATE usage_rollup_folded SET through_pos = ?1 WHERE id = 1", parameters: 1);
            _rollups = new RollupWriter(_db);
        }

        // A fold rewrites the rows of the latest minutes and hours: a page cache that holds them
        // (64 MiB) keeps the write lock short.
        public static Folder Open(string connectionString) => OpenConnection(
            connectionString, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;", connection => new Folder(connection));

        /// <summary>Folds up to <paramref name="limit"/> rows: how many, or -1 when another connection moved the position first.</summary>
        public int FoldOnce(int limit)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var from = Native.Scalar(_db, _folded);
            var (fold, through) = (new RollupFold(), from);
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = $"SELECT {EntryColumns} FROM usage_ledger WHERE pos > $from ORDER BY pos LIMIT $limit";
                command.Parameters.AddWithValue("$from", from);
                command.Parameters.AddWithValue("$limit", limit);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var row = ReadEntry(reader);
                    fold.Add(row);
                    through = row.Position.Number;
                }
            }

            if (fold.Rows == 0)
            {
                return 0;
            }

            fold.Complete();
            Native.Execute(_db, "BEGIN IMMEDIATE");
            try
            {
                var now = Native.Scalar(_db, _folded);
                if (now != from)
                {
                    Native.Execute(_db, "ROLLBACK");
                    _rollups.Forget();
                    return -1;
                }

                // Only folds write rollups, and each moves the position: if it is where this
                // connection left it, the sums it kept are the stored ones.
                if (_wrote != from)
                {
                    _rollups.Forget();
                }

                _rollups.Add(fold);
                raw.sqlite3_bind_int64(_advance, 1, through);
                Native.Step(_db, _advance);
                Native.Execute(_db, "COMMIT");
            }
            catch
            {
                _rollups.Forget();
                _wrote = null;
                if (raw.sqlite3_get_autocommit(_db) == 0)
                {
                    Native.Execute(_db, "ROLLBACK");
                }

                throw;
            }

            _wrote = through;
            LedgerMetrics.Folded(fold.Rows, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return fold.Rows;
        }

        public void Dispose()
        {
            _rollups.Dispose();
            _advance.Dispose();
            _folded.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// Adds sums to the rollup rows. Money and histograms are text that SQL cannot add, so the sums
    /// are added here and whole rows written: a row's stored sums are read once (a primary-key
    /// lookup; none for a new row) and then kept, so the next fold's rows for the same minute, hour
    /// and key (the common case under steady traffic) are added without reading or parsing. What is
    /// kept is right only while this connection alone folds: the folder drops it (<see cref="Forget"/>)
    /// when the stored position is not the one it last wrote. At most <see cref="KeptRows"/> rows are kept.
    /// </summary>
    private sealed class RollupWriter : IDisposable
    {
        private const int KeptRows = 200_000;

        private readonly Table<(RollupTier Tier, DateTimeOffset Start, RollupKey Key)> _full;
        private readonly Table<(RollupTier Tier, DateTimeOffset Start, ProjectionKey Key)> _projections;

        public RollupWriter(sqlite3 db)
        {
            _full = new Table<(RollupTier, DateTimeOffset, RollupKey)>(db, "usage_rollup", FullKeyColumns, BindFull);
            try
            {
                _projections = new Table<(RollupTier, DateTimeOffset, ProjectionKey)>(db, "usage_rollup_by", ProjectionKeyColumns, BindProjection);
            }
            catch
            {
                _full.Dispose();
                throw;
            }
        }

        public void Add(RollupFold fold)
        {
            if (_full.Kept + _projections.Kept + fold.Minutes.Count + fold.Hours.Count + fold.Projections.Count > KeptRows)
            {
                Forget();
            }

            foreach (var ((start, key), sums) in fold.Minutes)
            {
                _full.Add((RollupTier.Minute, start, key), sums);
            }

            foreach (var ((start, key), sums) in fold.Hours)
            {
                _full.Add((RollupTier.Hour, start, key), sums);
            }

            foreach (var (key, sums) in fold.Projections)
            {
                _projections.Add(key, sums);
            }
        }

        public void Forget()
        {
            _full.Forget();
            _projections.Forget();
        }

        public void Dispose()
        {
            _projections.Dispose();
            _full.Dispose();
        }

        private static void BindFull(sqlite3 db, sqlite3_stmt s, (RollupTier Tier, DateTimeOffset Start, RollupKey Key) row)
        {
            var key = row.Key;
            Native.Text(db, s, 1, key.EnvironmentId);
            Native.Text(db, s, 2, TierName(row.Tier));
            raw.sqlite3_bind_int64(s, 3, row.Start.ToUnixTimeMilliseconds());
            Native.Text(db, s, 4, key.DpId);
            Native.Text(db, s, 5, key.ApiKeyId);
            Native.Text(db, s, 6, key.ModelId);
            Native.Text(db, s, 7, key.ProviderKeyId);
            Native.Text(db, s, 8, key.TeamId);
            Native.Text(db, s, 9, key.MemberId);
            Native.Text(db, s, 10, key.StatusClass);
            Native.Text(db, s, 11, key.AttemptKind);
            raw.sqlite3_bind_int64(s, 12, key.KeyBound ? 1 : 0);
        }

        private static void BindProjection(sqlite3 db, sqlite3_stmt s, (RollupTier Tier, DateTimeOffset Start, ProjectionKey Key) row)
        {
            Native.Text(db, s, 1, row.Key.EnvironmentId);
            Native.Text(db, s, 2, TierName(row.Tier));
            Native.Text(db, s, 3, row.Key.DimensionName);
            raw.sqlite3_bind_int64(s, 4, row.Start.ToUnixTimeMilliseconds());
            Native.Text(db, s, 5, row.Key.Value);
            raw.sqlite3_bind_int64(s, 6, row.Key.KeyBound ? 1 : 0);
        }
    }

    /// <summary>One rollup table's upsert and primary-key read, with the sums kept per key.</summary>
    private sealed class Table<TKey> : IDisposable
        where TKey : notnull
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _write;
        private readonly sqlite3_stmt _read;
        private readonly int _keyCount;
        private readonly Action<sqlite3, sqlite3_stmt, TKey> _bindKey;
        private readonly Dictionary<TKey, UsageTotals> _stored = [];

        public Table(sqlite3 db, string table, string keyColumns, Action<sqlite3, sqlite3_stmt, TKey> bindKey)
        {
            _db = db;
            _bindKey = bindKey;
            var keys = keyColumns.Split(',').Select(column => column.Trim()).ToList();
            var sums = SumColumns.Split(',').Select(column => column.Trim()).ToList();
            _keyCount = keys.Count;
            var values = string.Join(", ", Enumerable.Range(1, keys.Count + sums.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"?{i}")));
            _write = Native.Prepare(db, $"""
                INSERT INTO {table} ({keyColumns}, {SumColumns}) VALUES ({values})
                ON CONFLICT ({keyColumns}) DO UPDATE SET {string.Join(", ", sums.Select(column => $"{column} = excluded.{column}"))}
                """, keys.Count + SumColumnCount);
            try
            {
                var where = string.Join(" AND ", keys.Select((column, i) => string.Create(CultureInfo.InvariantCulture, $"{column} = ?{i + 1}")));
                _read = Native.Prepare(db, $"SELECT {SumColumns} FROM {table} WHERE {where}", keys.Count);
            }
            catch
            {
                _write.Dispose();
                throw;
            }
        }

        public int Kept => _stored.Count;

        /// <summary>Adds <paramref name="sums"/> to the stored row of <paramref name="key"/>.</summary>
        public void Add(TKey key, UsageTotals sums)
        {
            if (!_stored.TryGetValue(key, out var stored))
            {
                stored = Read(key) ?? new UsageTotals();
                _stored[key] = stored;
            }

            stored.Add(sums);
            Write(key, stored);
        }

        public void Forget() => _stored.Clear();

        public void Dispose()
        {
            _read.Dispose();
            _write.Dispose();
        }

        private UsageTotals? Read(TKey key)
        {
            _bindKey(_db, _read, key);
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

        /// <summary>Positions follow <see cref="SumColumns"/> after the key's.</summary>
        private void Write(TKey key, UsageTotals t)
        {
            var s = _write;
            var first = _keyCount + 1;
            _bindKey(_db, s, key);
            Native.Integers(s, first,
                t.Attempts, t.Requests, t.PromptTokens, t.CompletionTokens, t.CachedPromptTokens, t.CacheCreationTokens,
                t.CacheReadTokens, t.ReasoningTokens, t.CacheHits, t.UnpricedAttempts, t.ErrorAttempts, t.BudgetDenied,
                t.LatencySumMs, t.TtftCount, t.TtftSumMs);
            Native.Text(_db, s, first + 15, t.SpendUsd.ToString(CultureInfo.InvariantCulture));
            Native.Text(_db, s, first + 16, t.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture));
            raw.sqlite3_bind_int64(s, first + 17, t.LatencyMaxMs);
            Native.Text(_db, s, first + 18, t.Latency.Encode());
            Native.Text(_db, s, first + 19, t.Ttft.Encode());
            Native.Step(_db, s);
        }
    }
}
