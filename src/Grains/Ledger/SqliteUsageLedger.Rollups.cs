using System.Data.Common;
using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Usage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage rollups of the SQLite ledger, in their own file beside the ledger's
/// (<see cref="RollupsConnectionString"/>, script <c>Sqlite/Rollups/0001</c>), so that a fold's writes
/// and the ledger writer's never wait for each other's lock: full rows per minute and hour
/// (<c>usage_rollup</c>, keyed by an id per combination of dimensions, <c>usage_rollup_key</c>),
/// projection rows per minute, hour and day (<c>usage_rollup_by</c>), and the position up to which
/// both hold every ledger row (<c>usage_rollup_folded</c>). A fold sums the rows after that
/// position in C# and writes the sums and the new position in one write transaction; a read adds
/// the rows after the position it sees, in the same snapshot. The rows this process's writer
/// committed are handed to the fold in memory, so it reads back from the file only what another
/// connection wrote (or what did not fit the hand-over).
/// </summary>
public sealed partial class SqliteUsageLedger
{
    /// <summary>
    /// Rows folded per write transaction at most. The rows are summed as they come, so memory is
    /// that of the rollup rows they touch; the write lock is held for writing those rows only.
    /// </summary>
    private const int FoldRowsPerTransaction = 1_000_000;

    /// <summary>
    /// Distinct minute rows one store writes at most (with their hours and projections): bounds how
    /// much a fold holds in memory and how long it holds the rollup file's write lock (views wait
    /// for nothing, the ledger writer does not need that lock; the sums are read and encoded before
    /// the lock is taken, and under it only written).
    /// </summary>
    private const int MaxStoredMinuteRows = 100_000;

    /// <summary>Committed rows kept for the fold in memory at most; past it the fold reads them from the file.</summary>
    private const int MaxHandedRows = 400_000;

    private const string FoldedSql = "SELECT through_pos FROM usage_rollup_folded WHERE id = 1";

    private readonly SemaphoreSlim _folding = new(1, 1);
    private readonly Lock _handedGate = new();
    private readonly string _rollupsConnectionString = RollupsConnectionString(connectionString);
    private readonly Lock _rollupsGate = new();
    private Task? _rollupsReady;
    private List<(long First, List<LedgerEntry> Rows)> _handed = [];
    private int _handedRows;
    private Folder? _folder;

    private static string TierName(RollupTier tier) => tier switch
    {
        RollupTier.Minute => "minute",
        RollupTier.Hour => "hour",
        RollupTier.Day => "day",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    /// <summary>
    /// The connection string of the rollup file that goes with a ledger file: beside it, named
    /// after it (<c>ledger.db</c> → <c>ledger.rollups.db</c>), with the ledger's other options.
    /// </summary>
    public static string RollupsConnectionString(string ledgerConnectionString)
    {
        var builder = new SqliteConnectionStringBuilder(ledgerConnectionString);
        var ledger = builder.DataSource;
        if (string.IsNullOrEmpty(ledger) || ledger == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException("A SQLite ledger needs a file: its rollups are kept in a file beside it.", nameof(ledgerConnectionString));
        }

        builder.DataSource = Path.Combine(
            Path.GetDirectoryName(ledger) ?? "", Path.GetFileNameWithoutExtension(ledger) + ".rollups" + Path.GetExtension(ledger));
        return builder.ToString();
    }

    /// <summary>Creates or migrates the rollup file once per ledger object (again after a failure).</summary>
    private Task RollupsReadyAsync()
    {
        lock (_rollupsGate)
        {
            if (_rollupsReady is null || _rollupsReady.IsFaulted || _rollupsReady.IsCanceled)
            {
                _rollupsReady = Task.Run(PrepareRollupsAsync);
            }

            return _rollupsReady;
        }
    }

    /// <summary>
    /// Applies the rollup file's scripts, and empties it when it is ahead of the ledger (its position
    /// past the ledger's last row: a ledger restored from a backup older than the rollups, or another
    /// ledger's file), so that the folds rebuild it from the ledger's first row. The check holds the
    /// rollup file's write lock, which every fold takes to move the position.
    /// </summary>
    private async Task PrepareRollupsAsync()
    {
        await using var rollups = new SqliteConnection(_rollupsConnectionString);
        await rollups.OpenAsync();
        await using var command = rollups.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;";
        await command.ExecuteNonQueryAsync();
        await SchemaMigrator.ApplyAsync(rollups, "Sqlite/Rollups");
        await using var check = rollups.BeginTransaction(deferred: false);
        command.Transaction = check;
        command.CommandText = FoldedSql;
        var folded = (long)(await command.ExecuteScalarAsync())!;
        await using (var ledger = new SqliteConnection(connectionString))
        {
            await ledger.OpenAsync();
            await using var last = ledger.CreateCommand();
            last.CommandText = LastPositionSql;
            if (folded <= (long)(await last.ExecuteScalarAsync())!)
            {
                return;
            }
        }

        command.CommandText = """
            DELETE FROM usage_rollup; DELETE FROM usage_rollup_by; DELETE FROM usage_rollup_key;
            UPDATE usage_rollup_folded SET through_pos = 0 WHERE id = 1;
            """;
        await command.ExecuteNonQueryAsync();
        await check.CommitAsync();
    }

    public override Task<long> FoldAsync(CancellationToken cancellationToken = default) =>
        WithFolderAsync(folder => FoldPending(folder, cancellationToken), cancellationToken);

    public override async Task<long> UnfoldedRowsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenRollupReaderAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        var folded = await ScalarAsync(snapshot, FoldedSql, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = LastPositionSql;
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! - folded;
    }

    /// <summary>Sums the rows handed over since the last poll, so they need not wait in memory as rows until the fold.</summary>
    protected override Task AbsorbAsync(CancellationToken cancellationToken) =>
        WithFolderAsync(folder => folder.Absorb(TakeHanded()), cancellationToken);

    /// <summary>The fold holds as many minute rows as one store should write: store them now.</summary>
    protected override bool FoldDue => Volatile.Read(ref _folder)?.Full ?? false;

    /// <summary>What the fold loop does at each poll, now (for tests of the sums held in memory).</summary>
    internal Task AbsorbNowAsync(CancellationToken cancellationToken = default) => AbsorbAsync(cancellationToken);

    protected override ValueTask DisposeFoldingAsync()
    {
        _folder?.Dispose();
        _folder = null;
        _folding.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// What the writer committed, with the position of the first row (the rest follow it one by
    /// one). Kept only while the fold loop runs: without it nothing would take them.
    /// </summary>
    private void Handed(long first, List<LedgerEntry> rows)
    {
        if (!FoldsByItself)
        {
            return;
        }

        lock (_handedGate)
        {
            // Past the limit nothing more is kept: the fold then reads those rows from the file.
            if (_handedRows + rows.Count <= MaxHandedRows)
            {
                _handed.Add((first, rows));
                _handedRows += rows.Count;
            }
        }
    }

    private List<(long First, List<LedgerEntry> Rows)> TakeHanded()
    {
        lock (_handedGate)
        {
            var taken = _handed;
            (_handed, _handedRows) = ([], 0);
            return taken;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the fold's connection, one at a time, off the caller's thread; a failure discards the connection.</summary>
    private async Task<long> WithFolderAsync(Func<Folder, long> work, CancellationToken cancellationToken)
    {
        await RollupsReadyAsync().WaitAsync(cancellationToken);
        await _folding.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() =>
            {
                _folder ??= Folder.Open(connectionString, _rollupsConnectionString);
                try
                {
                    return work(_folder);
                }
                catch
                {
                    _folder.Dispose();
                    _folder = null;
                    throw;
                }
            }, cancellationToken);
        }
        finally
        {
            _folding.Release();
        }
    }

    /// <summary>Stores every row committed when it starts, in as many transactions as the limits of one take.</summary>
    private long FoldPending(Folder folder, CancellationToken cancellationToken)
    {
        var (total, target) = (0L, folder.LastPosition());
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            folder.Absorb(TakeHanded());
            try
            {
                total += folder.FoldOnce(FoldRowsPerTransaction);
            }
            catch (FoldRaceException)
            {
                // Another connection folded first: go on from where it got to.
            }

            if (folder.Stored() >= target)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// The rows that answer <paramref name="query"/> in <paramref name="snapshot"/> (a deferred
    /// transaction not read from yet): the stored rollup rows of its shape (<see cref="RollupShape"/>)
    /// per <see cref="RollupPlan"/>, the sums this process's fold holds and has not stored, and the
    /// ledger rows after both, summed per minute. The held sums are taken before the snapshot, so
    /// every row they count is in it; they are used only if they continue the snapshot's stored position.
    /// </summary>
    private async Task<List<RollupRow>> ReadRollupsAsync(SqliteTransaction snapshot, RollupQuery query, CancellationToken cancellationToken)
    {
        var unstored = Volatile.Read(ref _folder)?.Unstored(query) ?? [];
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
        var after = folded;
        foreach (var (from, through, held) in unstored)
        {
            if (from == after)
            {
                rows.AddRange(held);
                after = through;
            }
        }

        var plan = RollupPlan.For(query.Boundaries);
        var shape = RollupShape.For(query);
        foreach (var tier in Enum.GetValues<RollupTier>())
        {
            var at = shape.At(tier);
            await ReadTierAsync(snapshot, query, at, environments, at.StoredTier(tier), plan.Of(tier), rows, cancellationToken);
        }

        var unfolded = new List<LedgerEntry>();
        await using (var command = snapshot.Connection!.CreateCommand())
        {
            command.Transaction = snapshot;
            command.CommandText = $"""
                SELECT {EntryColumns} FROM usage_ledger
                WHERE environment_id = $env AND pos > $folded AND occurred_at_ms >= $from AND occurred_at_ms < $to{UnfoldedFilters(query, command.Parameters)}
                """;
            var environment = command.Parameters.Add("$env", SqliteType.Text);
            command.Parameters.AddWithValue("$folded", after);
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

    /// <summary>
    /// The query's filters as conditions on the ledger's own columns, so that rows not folded yet
    /// which the query would drop are not read at all: under heavy ingest the fold runs behind by
    /// hundreds of thousands of rows, and every budget's re-base reads them (a key's budget needs
    /// a few). Only a filter whose values are all present is pushed down (a value of "" is a NULL
    /// column); <see cref="RollupFold.Unfolded"/> still applies every filter, so this only skips work.
    /// </summary>
    private static string UnfoldedFilters(RollupQuery query, SqliteParameterCollection parameters)
    {
        var conditions = new StringBuilder();
        foreach (var (dimension, values) in query.Filters)
        {
            if (LedgerColumn(dimension) is not { } column || values.IsDefaultOrEmpty || values.Any(string.IsNullOrEmpty))
            {
                continue;
            }

            var names = new List<string>();
            foreach (var value in values.Distinct(StringComparer.Ordinal))
            {
                var name = $"$u{parameters.Count}";
                parameters.AddWithValue(name, value);
                names.Add(name);
            }

            conditions.Append(CultureInfo.InvariantCulture, $" AND {column} IN ({string.Join(", ", names)})");
        }

        return query.KeyBoundOnly ? conditions.Append(" AND key_bound = 1").ToString() : conditions.ToString();
    }

    /// <summary>
    /// The <c>usage_ledger</c> column a dimension's value is read from as it is: the dimension's own
    /// field name (the ledger names its columns alike), or null for the status class, which is derived.
    /// </summary>
    private static string? LedgerColumn(UsageDimension dimension) =>
        dimension == UsageDimension.StatusClass ? null : UsageDimensionNames.FieldName(dimension);

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
            sql.Append("""
                SELECT k.environment_id, r.start_ms, k.dp_id, k.api_key_id, k.model_id, k.provider_key_id, k.team_id,
                       k.member_id, k.status_class, k.attempt_kind, k.key_bound, r.sums
                FROM usage_rollup AS r JOIN usage_rollup_key AS k ON k.id = r.key_id
                WHERE r.environment_id IN (
                """);
        }
        else
        {
            sql.Append("SELECT environment_id, start_ms, dimension, value, key_bound, sums FROM usage_rollup_by AS r WHERE r.environment_id IN (");
        }

        AppendList(sql, parameters, "$e", environments);
        sql.Append(") AND r.tier = $tier AND r.start_ms >= $from AND r.start_ms < $to");
        if (!shape.Full)
        {
            sql.Append(" AND r.dimension = $dimension");
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

            var column = shape.Full ? "k." + UsageDimensionNames.FieldName(dimension) : "r.value";
            sql.Append(CultureInfo.InvariantCulture, $" AND {column} IN (");
            AppendList(sql, parameters, string.Create(CultureInfo.InvariantCulture, $"$f{filter++}_"), values);
            sql.Append(')');
        }

        if (query.KeyBoundOnly)
        {
            sql.Append(shape.Full ? " AND k.key_bound = 1" : " AND r.key_bound = 1");
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

    private static RollupRow ReadFullRow(DbDataReader reader) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
        new RollupKey(
            reader.GetString(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
            reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetInt64(10) != 0),
        UsageTotalsCodec.Decode(reader.GetFieldValue<byte[]>(11)));

    private static RollupRow ReadProjectionRow(DbDataReader reader) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
        new ProjectionKey(reader.GetString(0), ProjectionKey.ParseDimension(reader.GetString(2)), reader.GetString(3), reader.GetInt64(4) != 0).ToRollupKey(),
        UsageTotalsCodec.Decode(reader.GetFieldValue<byte[]>(5)));

    /// <summary>
    /// The fold's own connection and what it has summed but not written. <see cref="Absorb"/> adds
    /// rows this process committed; <see cref="FoldOnce"/> reads from the file whatever rows after
    /// the folded position it was not handed (without the write lock: WAL lets it read beside the
    /// writer), then, under the write lock, checks that the position has not moved, adds the sums
    /// and moves it. What is summed and not yet stored is readable by views meanwhile
    /// (<see cref="Unstored"/>), so rows can wait long to be written (which is what makes a fold
    /// cheap: it writes each row it touches once) without a view reading them back from the ledger.
    /// </summary>
    private sealed class Folder : IDisposable
    {
        // The ledger's file, read only; the rollup file, which the native statements write.
        private readonly SqliteConnection _ledger;
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _folded;
        private readonly sqlite3_stmt _advance;
        private readonly RollupWriter _rollups;
        // Guards _pending, _storing and the minute sums of both, which views read.
        private readonly Lock _gate = new();
        private Pending? _pending;
        private Pending? _storing;
        private long? _wrote;

        private Folder(SqliteConnection ledger, SqliteConnection connection)
        {
            _ledger = ledger;
            _connection = connection;
            _db = connection.Handle!;
            _folded = Native.Prepare(_db, FoldedSql, parameters: 0);
            _advance = Native.Prepare(_db, "UPDATE usage_rollup_folded SET through_pos = ?1 WHERE id = 1", parameters: 1);
            _rollups = new RollupWriter(_db);
        }

        // A fold rewrites the rows of the latest minutes and hours: a page cache that holds them
        // (64 MiB) keeps the write lock short.
        public static Folder Open(string ledgerConnectionString, string rollupsConnectionString) => OpenConnection(
            ledgerConnectionString, "PRAGMA busy_timeout=10000;", ledger =>
            {
                try
                {
                    return OpenConnection(
                        rollupsConnectionString, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;",
                        connection => new Folder(ledger, connection));
                }
                catch
                {
                    ledger.Dispose();
                    throw;
                }
            });

        /// <summary>Whether the sums held have reached <see cref="MaxStoredMinuteRows"/>.</summary>
        public bool Full
        {
            get
            {
                lock (_gate)
                {
                    return _pending?.Fold.Minutes.Count >= MaxStoredMinuteRows;
                }
            }
        }

        /// <summary>The largest position in the ledger.</summary>
        public long LastPosition()
        {
            using var command = _ledger.CreateCommand();
            command.CommandText = LastPositionSql;
            return (long)command.ExecuteScalar()!;
        }

        /// <summary>The stored position.</summary>
        public long Stored() => Native.Scalar(_db, _folded);

        /// <summary>
        /// Adds the handed rows that continue what is summed, and drops the rest (rows already summed,
        /// or rows after a gap that another connection's rows fill: those are read from the file).
        /// </summary>
        public long Absorb(List<(long First, List<LedgerEntry> Rows)> handed)
        {
            var pending = Current();
            lock (_gate)
            {
                foreach (var (first, rows) in handed)
                {
                    var skip = pending.Through + 1 - first;
                    if (skip < 0)
                    {
                        break;
                    }

                    for (var i = (int)Math.Min(skip, rows.Count); i < rows.Count; i++)
                    {
                        pending.Fold.Add(rows[i]);
                        pending.Through++;
                    }
                }

                return pending.Fold.Rows;
            }
        }

        /// <summary>
        /// The sums not yet stored that a query counts, as minute rows with every dimension, and the
        /// positions they cover: (from, through], from being the stored position they continue. A
        /// view may add them only if its snapshot's stored position is <c>from</c>; both sets are
        /// offered (the one being stored and the one gathering after it), the first for a snapshot
        /// taken before the store commits, the second for one taken after.
        /// </summary>
        public List<(long From, long Through, List<RollupRow> Rows)> Unstored(RollupQuery query)
        {
            lock (_gate)
            {
                var sets = new List<(long, long, List<RollupRow>)>();
                foreach (var pending in new[] { _storing, _pending })
                {
                    if (pending is not null)
                    {
                        sets.Add((pending.From, pending.Through, RollupFold.Matching(pending.Fold.Minutes, query)));
                    }
                }

                return sets;
            }
        }

        /// <summary>Folds up to about <paramref name="limit"/> rows and answers how many; <see cref="FoldRaceException"/> when another connection moved the position first.</summary>
        public int FoldOnce(int limit)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var pending = Current();
            if (pending.Fold.Rows < limit && pending.Fold.Minutes.Count < MaxStoredMinuteRows)
            {
                // Read beside the gathering sums and then added to them at once, so that a view never
                // sees rows counted that the sums' position does not cover.
                var (read, through) = (new RollupFold(), pending.Through);
                using (var command = _ledger.CreateCommand())
                {
                    command.CommandText = $"SELECT {EntryColumns} FROM usage_ledger WHERE pos > $from ORDER BY pos LIMIT $limit";
                    command.Parameters.AddWithValue("$from", pending.Through);
                    command.Parameters.AddWithValue("$limit", limit - pending.Fold.Rows);
                    using var reader = command.ExecuteReader();
                    while (read.Minutes.Count + pending.Fold.Minutes.Count < MaxStoredMinuteRows && reader.Read())
                    {
                        var row = ReadEntry(reader);
                        read.Add(row);
                        through = row.Position.Number;
                    }
                }

                lock (_gate)
                {
                    pending.Fold.Add(read);
                    pending.Through = through;
                }
            }

            if (pending.Fold.Rows == 0)
            {
                return 0;
            }

            lock (_gate)
            {
                (_storing, _pending) = (pending, new Pending(pending.Through));
            }

            try
            {
                pending.Fold.Complete();
                Store(pending);
            }
            catch
            {
                lock (_gate)
                {
                    (_storing, _pending) = (null, null);
                }

                throw;
            }

            lock (_gate)
            {
                _storing = null;
            }

            LedgerMetrics.Folded(pending.Fold.Rows, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return pending.Fold.Rows;
        }

        public void Dispose()
        {
            _rollups.Dispose();
            _advance.Dispose();
            _folded.Dispose();
            _connection.Dispose();
            _ledger.Dispose();
        }

        /// <summary>
        /// Adds the sums to the stored rows and moves the position; throws when it has moved
        /// meanwhile. The new sums of every row are read, added and encoded first, in a read
        /// transaction; the write transaction that follows only writes them, so the rollup file's
        /// write lock (which another process's fold may wait for) is held for the writes alone.
        /// Both check the position: only folds write rollups and each moves it, so while it stays
        /// where this fold started, the rows read are the stored ones.
        /// </summary>
        private void Store(Pending pending)
        {
            try
            {
                Native.Execute(_db, "BEGIN");
                CheckPosition(pending);
                // If it is where this connection left it, the sums it kept are the stored ones.
                if (_wrote != pending.From)
                {
                    _rollups.Forget();
                }

                var prepared = _rollups.Prepare(pending.Fold);
                Native.Execute(_db, "COMMIT");
                Native.Execute(_db, "BEGIN IMMEDIATE");
                CheckPosition(pending);
                _rollups.Write(prepared);
                raw.sqlite3_bind_int64(_advance, 1, pending.Through);
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

            _rollups.Committed();
            _wrote = pending.Through;
        }

        private void CheckPosition(Pending pending)
        {
            if (Native.Scalar(_db, _folded) != pending.From)
            {
                throw new FoldRaceException();
            }
        }

        /// <summary>The sums being gathered, from the stored position; started again when another connection has moved it.</summary>
        private Pending Current()
        {
            var folded = Native.Scalar(_db, _folded);
            lock (_gate)
            {
                if (_pending is null || _pending.From != folded)
                {
                    _pending = new Pending(folded);
                }

                return _pending;
            }
        }

        /// <summary>Rows after <see cref="From"/> up to <see cref="Through"/>, summed.</summary>
        private sealed class Pending(long from)
        {
            public long From { get; } = from;
            public long Through { get; set; } = from;
            public RollupFold Fold { get; } = new();
        }
    }

    /// <summary>Another connection stored a fold first: this one's sums start from a position that has passed.</summary>
    private sealed class FoldRaceException() : Exception("Another connection folded the same rows first.");

    /// <summary>
    /// Adds sums to the rollup rows. The sums are a blob SQL cannot add, so they are added here and
    /// whole rows written (<see cref="Prepare"/> in a read transaction, <see cref="Write"/> in the
    /// write transaction): a row's stored sums are read once (a primary-key lookup; none for a new
    /// row) and then kept, so the next fold's rows for the same minute, hour and key (the common
    /// case under steady traffic) are added without reading. What is kept is right only while this
    /// connection alone folds: the folder drops it (<see cref="Forget"/>) when the stored position
    /// is not the one it last wrote. At most <see cref="KeptRows"/> rows are kept.
    /// </summary>
    private sealed class RollupWriter : IDisposable
    {
        private const int KeptRows = 300_000;

        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _findKey;
        private readonly sqlite3_stmt _insertKey;
        private readonly Dictionary<RollupKey, long> _keyIds = [];
        private readonly List<RollupKey> _newKeys = [];
        private readonly Table<(string Environment, RollupTier Tier, DateTimeOffset Start, long KeyId)> _full;
        private readonly Table<(RollupTier Tier, DateTimeOffset Start, ProjectionKey Key)> _projections;

        public RollupWriter(sqlite3 db)
        {
            const string keyColumns = "environment_id, dp_id, api_key_id, model_id, provider_key_id, team_id, member_id, status_class, attempt_kind, key_bound";
            _db = db;
            var disposables = new List<IDisposable>();
            try
            {
                _findKey = Native.Prepare(db, $"""
                    SELECT id FROM usage_rollup_key WHERE environment_id = ?1 AND dp_id = ?2 AND api_key_id = ?3 AND model_id = ?4
                      AND provider_key_id = ?5 AND team_id = ?6 AND member_id = ?7 AND status_class = ?8 AND attempt_kind = ?9 AND key_bound = ?10
                    """, 10);
                disposables.Add(_findKey);
                _insertKey = Native.Prepare(db, $"INSERT INTO usage_rollup_key ({keyColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id", 10);
                disposables.Add(_insertKey);
                _full = new(db, "usage_rollup", "environment_id, tier, start_ms, key_id", BindFull);
                disposables.Add(_full);
                _projections = new(db, "usage_rollup_by", "environment_id, tier, dimension, start_ms, value, key_bound", BindProjection);
            }
            catch
            {
                disposables.ForEach(d => d.Dispose());
                throw;
            }
        }

        /// <summary>
        /// The stored sums of every row of <paramref name="fold"/> plus its own, encoded, ready for
        /// <see cref="Write"/>: read in the caller's read transaction. A row whose key has no id yet
        /// has nothing stored; it is encoded once the write transaction has created the id.
        /// </summary>
        public Prepared Prepare(RollupFold fold)
        {
            if (_full.Kept + _projections.Kept + fold.Minutes.Count + fold.Hours.Count + fold.Projections.Count > KeptRows)
            {
                Forget();
            }

            var prepared = new Prepared();
            foreach (var (tier, rows) in new[] { (RollupTier.Minute, fold.Minutes), (RollupTier.Hour, fold.Hours) })
            {
                foreach (var ((start, key), sums) in rows)
                {
                    if (FindKeyId(key) is { } id)
                    {
                        var row = (key.EnvironmentId, tier, start, id);
                        prepared.Full.Add((row, _full.Prepare(row, sums)));
                    }
                    else
                    {
                        prepared.NewKeys.Add((tier, start, key, sums));
                    }
                }
            }

            foreach (var (key, sums) in fold.Projections)
            {
                prepared.Projections.Add((key, _projections.Prepare(key, sums)));
            }

            return prepared;
        }

        /// <summary>Writes what <see cref="Prepare"/> encoded, creating the new keys' ids; in the write transaction.</summary>
        public void Write(Prepared prepared)
        {
            foreach (var (tier, start, key, sums) in prepared.NewKeys)
            {
                var row = (key.EnvironmentId, tier, start, CreateKeyId(key));
                prepared.Full.Add((row, _full.Prepare(row, sums)));
            }

            prepared.Full.ForEach(row => _full.Write(row.Key, row.Sums));
            prepared.Projections.ForEach(row => _projections.Write(row.Key, row.Sums));
        }

        /// <summary>The transaction committed: the key ids it created are for good.</summary>
        public void Committed() => _newKeys.Clear();

        /// <summary>Drops the kept sums, and the key ids of a transaction that did not commit.</summary>
        public void Forget()
        {
            _full.Forget();
            _projections.Forget();
            _newKeys.ForEach(key => _keyIds.Remove(key));
            _newKeys.Clear();
        }

        public void Dispose()
        {
            _projections.Dispose();
            _full.Dispose();
            _insertKey.Dispose();
            _findKey.Dispose();
        }

        /// <summary>The id of a key, kept or found; null when the key has none yet.</summary>
        private long? FindKeyId(RollupKey key)
        {
            if (_keyIds.TryGetValue(key, out var id))
            {
                return id;
            }

            BindKey(_findKey, key);
            var rc = raw.sqlite3_step(_findKey);
            id = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_findKey, 0) : 0;
            raw.sqlite3_reset(_findKey);
            if (rc is not (raw.SQLITE_ROW or raw.SQLITE_DONE))
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            if (rc == raw.SQLITE_DONE)
            {
                return null;
            }

            _keyIds[key] = id;
            return id;
        }

        /// <summary>A new key's id, created in the write transaction (only folds create keys, and the position check keeps them one at a time).</summary>
        private long CreateKeyId(RollupKey key)
        {
            if (_keyIds.TryGetValue(key, out var id))
            {
                return id;
            }

            BindKey(_insertKey, key);
            id = Native.Scalar(_db, _insertKey);
            _newKeys.Add(key);
            _keyIds[key] = id;
            return id;
        }

        private void BindKey(sqlite3_stmt s, RollupKey key)
        {
            Native.Text(_db, s, 1, key.EnvironmentId);
            Native.Text(_db, s, 2, key.DpId);
            Native.Text(_db, s, 3, key.ApiKeyId);
            Native.Text(_db, s, 4, key.ModelId);
            Native.Text(_db, s, 5, key.ProviderKeyId);
            Native.Text(_db, s, 6, key.TeamId);
            Native.Text(_db, s, 7, key.MemberId);
            Native.Text(_db, s, 8, key.StatusClass);
            Native.Text(_db, s, 9, key.AttemptKind);
            raw.sqlite3_bind_int64(s, 10, key.KeyBound ? 1 : 0);
        }

        /// <summary>A store's rows, encoded: full rows by key id, the full rows of keys without one yet, projection rows.</summary>
        public sealed class Prepared
        {
            public List<((string Environment, RollupTier Tier, DateTimeOffset Start, long KeyId) Key, byte[] Sums)> Full { get; } = [];
            public List<(RollupTier Tier, DateTimeOffset Start, RollupKey Key, UsageTotals Sums)> NewKeys { get; } = [];
            public List<((RollupTier Tier, DateTimeOffset Start, ProjectionKey Key) Key, byte[] Sums)> Projections { get; } = [];
        }

        private static void BindFull(sqlite3 db, sqlite3_stmt s, (string Environment, RollupTier Tier, DateTimeOffset Start, long KeyId) row)
        {
            Native.Text(db, s, 1, row.Environment);
            Native.Text(db, s, 2, TierName(row.Tier));
            raw.sqlite3_bind_int64(s, 3, row.Start.ToUnixTimeMilliseconds());
            raw.sqlite3_bind_int64(s, 4, row.KeyId);
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

    /// <summary>One rollup table's upsert and primary-key read of the sums blob, with the sums kept per key.</summary>
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
            _keyCount = keys.Count;
            var values = string.Join(", ", Enumerable.Range(1, keys.Count + 1).Select(i => string.Create(CultureInfo.InvariantCulture, $"?{i}")));
            _write = Native.Prepare(db, $"""
                INSERT INTO {table} ({keyColumns}, sums) VALUES ({values})
                ON CONFLICT ({keyColumns}) DO UPDATE SET sums = excluded.sums
                """, keys.Count + 1);
            try
            {
                var where = string.Join(" AND ", keys.Select((column, i) => string.Create(CultureInfo.InvariantCulture, $"{column} = ?{i + 1}")));
                _read = Native.Prepare(db, $"SELECT sums FROM {table} WHERE {where}", keys.Count);
            }
            catch
            {
                _write.Dispose();
                throw;
            }
        }

        public int Kept => _stored.Count;

        /// <summary>The stored sums of <paramref name="key"/>'s row (read once, then kept) plus <paramref name="sums"/>, encoded.</summary>
        public byte[] Prepare(TKey key, UsageTotals sums)
        {
            if (!_stored.TryGetValue(key, out var stored))
            {
                stored = Read(key) ?? new UsageTotals();
                _stored[key] = stored;
            }

            stored.Add(sums);
            return UsageTotalsCodec.Encode(stored);
        }

        /// <summary>Writes a row's sums as <see cref="Prepare"/> encoded them.</summary>
        public void Write(TKey key, byte[] sums)
        {
            _bindKey(_db, _write, key);
            SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_blob(_write, _keyCount + 1, sums), _db);
            Native.Step(_db, _write);
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
                    raw.SQLITE_ROW => UsageTotalsCodec.Decode(raw.sqlite3_column_blob(_read, 0)),
                    raw.SQLITE_DONE => null,
                    _ => throw new SqliteException($"Reading a rollup row failed ({raw.sqlite3_errmsg(_db).utf8_to_string()}).", rc),
                };
            }
            finally
            {
                raw.sqlite3_reset(_read);
            }
        }
    }
}
