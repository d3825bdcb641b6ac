using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Usage;
using Npgsql;
using NpgsqlTypes;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage rollups of the PostgreSQL ledger (script 0004): full rows per minute and hour
/// (<c>usage_rollup_full_minute</c>, <c>usage_rollup_full_hour</c>), projection rows per hour and
/// day, and of the environment total per minute too (<c>usage_rollup_by</c>), and the commit position up to which they hold every
/// ledger row (<c>usage_rollup_folded</c>).
/// <para>
/// A fold locks the position row (<c>FOR UPDATE</c>: folds of several silos take turns, each from
/// the position the one before stored), reads the rows after it in commit order, only of
/// transactions below the oldest one still running (<c>pg_snapshot_xmin</c>, the export's horizon:
/// every id below it has ended, so no row at or before the new position can commit later), sums
/// them as they are read, adds the sums in SQL and moves the position, in one transaction of at
/// most <see cref="FoldRowsPerTransaction"/> rows. A read takes one REPEATABLE READ snapshot for
/// the position, the stored rows and the ledger rows after the position, which it adds
/// (<see cref="RollupFold.Unfolded"/>): exactly the ledger, folded or not.
/// </para>
/// </summary>
public sealed partial class PostgresUsageLedger
{
    /// <summary>
    /// Rows folded per transaction at most. They are summed as they are read, so memory is that of
    /// the rollup rows they touch.
    /// </summary>
    private const int FoldRowsPerTransaction = 1_000_000;

    private const string FoldedSql = "SELECT through_xact::text::bigint, through_number FROM usage_rollup_folded";

    /// <summary>Every transaction id below this one has ended (committed or not) for good.</summary>
    private const string Horizon = "pg_snapshot_xmin(pg_current_snapshot())";

    /// <summary>
    /// The commit order after the position <c>@xact</c>, <c>@number</c> as two ranges of an index
    /// ending in (commit_xact, commit_number): the rest of the position's transaction, then the
    /// transactions after it. Two ranges rather than one row comparison, as the export reads (see
    /// <see cref="ReadEventsSql"/>): the planner estimates a row comparison by its first column alone.
    /// </summary>
    private static readonly string[] AfterPosition =
    [
        "commit_xact = @xact::text::xid8 AND commit_number > @number",
        "commit_xact > @xact::text::xid8",
    ];

    /// <summary>The rows after the position in the query's environments and time range: the rows a read adds to the stored ones.</summary>
    private static readonly string UnfoldedSql = $"""
        SELECT unfolded.* FROM unnest(@envs::text[]) AS e(environment)
        CROSS JOIN LATERAL (
            {string.Join("\nUNION ALL\n", AfterPosition.Select(range => $"""
                (SELECT {EntryColumns} FROM usage_ledger
                 WHERE environment_id = e.environment AND {range} AND occurred_at >= @from AND occurred_at < @to)
                """))}
        ) AS unfolded
        """;

    /// <summary>How many rows a fold could take now, each range counted up to <c>@take</c>.</summary>
    private static readonly string UnfoldedCountSql = "SELECT " + string.Join(" + ", AfterPosition.Select(range => $"""
        (SELECT count(*) FROM (SELECT 1 FROM usage_ledger WHERE {range} AND commit_xact < {Horizon} LIMIT @take) AS r)
        """));

    private readonly SemaphoreSlim _folding = new(1, 1);

    public override async Task<long> FoldAsync(CancellationToken cancellationToken = default)
    {
        await _folding.WaitAsync(cancellationToken);
        try
        {
            var total = 0L;
            while (true)
            {
                var folded = await FoldOnceAsync(cancellationToken);
                total += folded;
                if (folded < FoldRowsPerTransaction)
                {
                    return total;
                }
            }
        }
        finally
        {
            _folding.Release();
        }
    }

    public override async Task<long> UnfoldedRowsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var folded = await ReadFoldedAsync(connection, null, FoldedSql, cancellationToken);
        await using var command = new NpgsqlCommand(UnfoldedCountSql, connection);
        AddPosition(command.Parameters, folded);
        command.Parameters.AddWithValue("take", EagerFoldRows + 1);
        return Math.Min(EagerFoldRows + 1, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    protected override ValueTask DisposeFoldingAsync()
    {
        _folding.Dispose();
        return ValueTask.CompletedTask;
    }

    public override async Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        StartFolding();
        if (query.EnvironmentIds.IsDefaultOrEmpty || query.Boundaries.IsDefault || query.Boundaries.Length < 2)
        {
            return [];
        }

        var shape = RollupShape.For(query);
        var stored = new NpgsqlBatchCommand();
        stored.CommandText = RollupUnion(stored.Parameters, query, query.Boundaries, table => table.SelectList);
        var (rows, unfolded) = await ReadSnapshotAsync<RollupRow>(query, stored, shape.Full ? RollupTable.ReadFull : RollupTable.ReadProjection, cancellationToken);
        rows.AddRange(unfolded);
        return rows;
    }

    /// <remarks>
    /// One snapshot: the scope's rollups, the rows not folded into them and the budget's
    /// attributions are read as of the same instant, and no transaction's rows can be in one sum
    /// and not the other.
    /// </remarks>
    public override async Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.Boundaries.IsDefault || scope.Boundaries.Length < 2)
        {
            throw new ArgumentException("A scope's boundaries are its period's start and end.", nameof(scope));
        }

        StartFolding();
        var stored = new NpgsqlBatchCommand();
        var union = RollupUnion(stored.Parameters, scope, [scope.Boundaries[0], scope.Boundaries[^1]], _ => "spend_usd");
        stored.CommandText = $"SELECT (SELECT coalesce(sum(spend_usd), 0) FROM ({union}) AS scope), ({SumBudgetPeriodSql})";
        stored.Parameters.AddWithValue("budget", budgetId);
        stored.Parameters.AddWithValue("period", periodStart.UtcDateTime);
        var (sums, unfolded) = await ReadSnapshotAsync(
            scope, stored, reader => new ScopeSpend(reader.GetDecimal(0), reader.GetDecimal(1)), cancellationToken);
        return sums[0] with { InScopeUsd = sums[0].InScopeUsd + unfolded.Sum(row => row.Totals.SpendUsd) };
    }

    /// <summary>
    /// In one REPEATABLE READ snapshot: the folded position, the rows of <paramref name="stored"/>,
    /// and the ledger rows after the position in <paramref name="query"/>'s environments and time
    /// range, as the minute rows it counts.
    /// </summary>
    private async Task<(List<T> Stored, List<RollupRow> Unfolded)> ReadSnapshotAsync<T>(
        RollupQuery query, NpgsqlBatchCommand stored, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        CommitPosition folded;
        var rows = new List<T>();
        await using (var batch = new NpgsqlBatch(connection, snapshot))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(FoldedSql));
            batch.BatchCommands.Add(stored);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            folded = await reader.ReadAsync(cancellationToken) ? ReadPosition(reader) : throw NoFoldedRow();
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }
        }

        await using var command = new NpgsqlCommand(UnfoldedSql, connection, snapshot);
        Add(command.Parameters, "envs", NpgsqlDbType.Text, query.EnvironmentIds.IsDefault ? [] : query.EnvironmentIds.Distinct(StringComparer.Ordinal));
        AddPosition(command.Parameters, folded);
        command.Parameters.AddWithValue("from", query.Boundaries[0].UtcDateTime);
        command.Parameters.AddWithValue("to", query.Boundaries[^1].UtcDateTime);
        var unfolded = await ReadAllAsync(command, ReadEntry, cancellationToken);
        await snapshot.CommitAsync(cancellationToken);
        return (rows, RollupFold.Unfolded(unfolded, query));
    }

    /// <summary>
    /// Folds up to <see cref="FoldRowsPerTransaction"/> rows after the stored position, in one
    /// transaction that holds the position row's lock from its read to the commit that moves it.
    /// </summary>
    private async Task<int> FoldOnceAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var from = await ReadFoldedAsync(connection, transaction, FoldedSql + " FOR UPDATE", cancellationToken);
        var (fold, through) = (new RollupFold(), from);

        // One range after the other: every row of the first comes before every row of the second.
        foreach (var range in AfterPosition)
        {
            await using var command = new NpgsqlCommand($"""
                SELECT {EntryColumns} FROM usage_ledger
                WHERE {range} AND commit_xact < {Horizon}
                ORDER BY commit_xact, commit_number
                LIMIT @take
                """, connection, transaction);
            AddPosition(command.Parameters, from);
            command.Parameters.AddWithValue("take", FoldRowsPerTransaction - fold.Rows);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = ReadEntry(reader);
                fold.Add(row);
                through = row.Position;
            }

            if (fold.Rows == FoldRowsPerTransaction)
            {
                break;
            }
        }

        if (fold.Rows == 0)
        {
            return 0;
        }

        fold.Complete();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(RollupTable.Minute.Upsert(fold.Minutes.Select(r => RollupCell.Full(RollupTier.Minute, r.Key.Start, r.Key.Key, r.Value))));
            batch.BatchCommands.Add(RollupTable.Hour.Upsert(fold.Hours.Select(r => RollupCell.Full(RollupTier.Hour, r.Key.Start, r.Key.Key, r.Value))));
            batch.BatchCommands.Add(RollupTable.By.Upsert(fold.Projections.Select(r => new RollupCell(r.Key.Tier, r.Key.Start, default, r.Key.Key, r.Value))));
            var advance = new NpgsqlBatchCommand("UPDATE usage_rollup_folded SET through_xact = @xact::text::xid8, through_number = @number");
            AddPosition(advance.Parameters, through);
            batch.BatchCommands.Add(advance);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LedgerMetrics.Folded(fold.Rows, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return fold.Rows;
    }

    private static async Task<CommitPosition> ReadFoldedAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadPosition(reader) : throw NoFoldedRow();
    }

    private static CommitPosition ReadPosition(DbDataReader reader) => new(reader.GetInt64(0), reader.GetInt64(1));

    private static InvalidOperationException NoFoldedRow() =>
        new("The ledger has no usage_rollup_folded row: its schema is older than script 0004.");

    private static void AddPosition(NpgsqlParameterCollection parameters, CommitPosition position)
    {
        parameters.AddWithValue("xact", position.Transaction);
        parameters.AddWithValue("number", position.Number);
    }

    /// <summary>
    /// The stored rows that answer <paramref name="query"/> over <paramref name="boundaries"/>: of
    /// its shape (<see cref="RollupShape"/>) and per <see cref="RollupPlan"/> (full rows have no
    /// day tier: a day is read as its hours), as a query selecting <paramref name="select"/> of the
    /// table read, its parameters added to <paramref name="parameters"/>.
    /// </summary>
    private static string RollupUnion(
        NpgsqlParameterCollection parameters, RollupQuery query, IReadOnlyList<DateTimeOffset> boundaries, Func<RollupTable, string> select)
    {
        var shape = RollupShape.For(query);
        var plan = RollupPlan.For(boundaries);
        Add(parameters, "envs", NpgsqlDbType.Text, query.EnvironmentIds.IsDefault ? [] : query.EnvironmentIds.ToArray());
        foreach (var (dimension, values) in query.Filters)
        {
            Add(parameters, "filter_" + UsageDimensionNames.FieldName(dimension), NpgsqlDbType.Text, values.IsDefault ? [] : values.ToArray());
        }

        if (!shape.Full)
        {
            parameters.AddWithValue("dimension", new ProjectionKey("", shape.Dimension, "", false).DimensionName);
        }

        var parts = new List<string>();
        foreach (var tier in Enum.GetValues<RollupTier>())
        {
            var ranges = plan.Of(tier);
            if (ranges.Count == 0)
            {
                continue;
            }

            // One dimension's minutes come from the full minute rows, selected as projection rows.
            var at = shape.At(tier);
            var stored = at.StoredTier(tier);
            var table = !at.Full ? RollupTable.By : stored == RollupTier.Minute ? RollupTable.Minute : RollupTable.Hour;
            var columns = at.Full && !shape.Full ? RollupTable.AsProjection(shape.Dimension!.Value, select(RollupTable.By)) : select(table);
            var filters = new StringBuilder(query.KeyBoundOnly ? " AND key_bound" : "");
            foreach (var dimension in query.Filters.Keys.OrderBy(d => d))
            {
                var name = UsageDimensionNames.FieldName(dimension);
                var column = at.Full || dimension == UsageDimension.Environment ? name : "value";
                filters.Append(CultureInfo.InvariantCulture, $" AND {column} = ANY(@filter_{name})");
            }

            if (!at.Full)
            {
                filters.Append(CultureInfo.InvariantCulture, $" AND tier = '{TierName(tier)}' AND dimension = @dimension");
            }

            var tierName = TierName(tier);
            Add(parameters, tierName + "_from", NpgsqlDbType.TimestampTz, ranges.Select(r => r.From.UtcDateTime));
            Add(parameters, tierName + "_to", NpgsqlDbType.TimestampTz, ranges.Select(r => r.To.UtcDateTime));
            // Each range is its own scan of the primary key (environment, [tier, dimension,] start, ...).
            // A plain join of the ranges hides their bounds from the planner, which then scans the
            // whole table (seconds on a month of minute rows); OFFSET 0 keeps the lateral subquery
            // from being flattened into that join, so it runs once per range with the range as index bounds.
            parts.Add($"""
                SELECT {columns}
                FROM unnest(@{tierName}_from::timestamptz[], @{tierName}_to::timestamptz[]) AS r(range_from, range_to)
                CROSS JOIN LATERAL (
                    SELECT * FROM {table.Name}
                    WHERE environment_id = ANY(@envs) AND bucket_start >= r.range_from AND bucket_start < r.range_to{filters}
                    OFFSET 0) AS rollup
                """);
        }

        return string.Join("\nUNION ALL\n", parts);
    }

    private static string TierName(RollupTier tier) => tier switch
    {
        RollupTier.Minute => "minute",
        RollupTier.Hour => "hour",
        RollupTier.Day => "day",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    /// <summary>
    /// A row a fold adds to a rollup table: a full row's <see cref="Key"/> or a projection row's
    /// <see cref="Projection"/>, whichever its table keeps.
    /// </summary>
    private readonly record struct RollupCell(RollupTier Tier, DateTimeOffset Start, RollupKey Key, ProjectionKey Projection, UsageTotals Totals)
    {
        public static RollupCell Full(RollupTier tier, DateTimeOffset start, RollupKey key, UsageTotals totals) => new(tier, start, key, default, totals);
    }

    /// <summary>
    /// The three rollup tables: the full rows' two (script 0003, renamed by 0004) and the projection
    /// rows' (0004). One list of columns each, from which the upsert, its parameters and the reads are made.
    /// </summary>
    private sealed class RollupTable
    {
        private const string Sum = "r.{0} + excluded.{0}";

        private static readonly RollupColumn[] FullKeys =
        [
            Column("environment_id", "text", NpgsqlDbType.Text, c => c.Key.EnvironmentId),
            Column("bucket_start", "timestamptz", NpgsqlDbType.TimestampTz, c => c.Start.UtcDateTime),
            Column("dp_id", "text", NpgsqlDbType.Text, c => c.Key.DpId),
            Column("api_key_id", "text", NpgsqlDbType.Text, c => c.Key.ApiKeyId),
            Column("model_id", "text", NpgsqlDbType.Text, c => c.Key.ModelId),
            Column("provider_key_id", "text", NpgsqlDbType.Text, c => c.Key.ProviderKeyId),
            Column("team_id", "text", NpgsqlDbType.Text, c => c.Key.TeamId),
            Column("member_id", "text", NpgsqlDbType.Text, c => c.Key.MemberId),
            Column("status_class", "text", NpgsqlDbType.Text, c => c.Key.StatusClass),
            Column("attempt_kind", "text", NpgsqlDbType.Text, c => c.Key.AttemptKind),
            Column("key_bound", "boolean", NpgsqlDbType.Boolean, c => c.Key.KeyBound),
        ];

        private static readonly RollupColumn[] ProjectionKeys =
        [
            Column("environment_id", "text", NpgsqlDbType.Text, c => c.Projection.EnvironmentId),
            Column("tier", "text", NpgsqlDbType.Text, c => TierName(c.Tier)),
            Column("dimension", "text", NpgsqlDbType.Text, c => c.Projection.DimensionName),
            Column("bucket_start", "timestamptz", NpgsqlDbType.TimestampTz, c => c.Start.UtcDateTime),
            Column("value", "text", NpgsqlDbType.Text, c => c.Projection.Value),
            Column("key_bound", "boolean", NpgsqlDbType.Boolean, c => c.Projection.KeyBound),
        ];

        private static readonly RollupColumn[] TotalColumns =
        [
            Count("attempts", t => t.Attempts, (t, v) => t.Attempts = v),
            Count("requests", t => t.Requests, (t, v) => t.Requests = v),
            Count("prompt_tokens", t => t.PromptTokens, (t, v) => t.PromptTokens = v),
            Count("completion_tokens", t => t.CompletionTokens, (t, v) => t.CompletionTokens = v),
            Count("cached_prompt_tokens", t => t.CachedPromptTokens, (t, v) => t.CachedPromptTokens = v),
            Count("cache_creation_tokens", t => t.CacheCreationTokens, (t, v) => t.CacheCreationTokens = v),
            Count("cache_read_tokens", t => t.CacheReadTokens, (t, v) => t.CacheReadTokens = v),
            Count("reasoning_tokens", t => t.ReasoningTokens, (t, v) => t.ReasoningTokens = v),
            Money("spend_usd", t => t.SpendUsd, (t, v) => t.SpendUsd = v),
            Money("cache_savings_usd", t => t.CacheSavingsUsd, (t, v) => t.CacheSavingsUsd = v),
            Count("cache_hits", t => t.CacheHits, (t, v) => t.CacheHits = v),
            Count("unpriced_attempts", t => t.UnpricedAttempts, (t, v) => t.UnpricedAttempts = v),
            Count("error_attempts", t => t.ErrorAttempts, (t, v) => t.ErrorAttempts = v),
            Count("budget_denied", t => t.BudgetDenied, (t, v) => t.BudgetDenied = v),
            Count("latency_sum_ms", t => t.LatencySumMs, (t, v) => t.LatencySumMs = v),
            Count("latency_max_ms", t => t.LatencyMaxMs, (t, v) => t.LatencyMaxMs = v, "greatest(r.{0}, excluded.{0})"),
            Histogram("latency_histogram", t => t.Latency, (t, v) => t.Latency = v),
            Count("ttft_count", t => t.TtftCount, (t, v) => t.TtftCount = v),
            Count("ttft_sum_ms", t => t.TtftSumMs, (t, v) => t.TtftSumMs = v),
            Histogram("ttft_histogram", t => t.Ttft, (t, v) => t.Ttft = v),
        ];

        private readonly RollupColumn[] _keys;
        private readonly string _upsertSql;

        private RollupTable(string name, RollupColumn[] keys)
        {
            Name = name;
            _keys = keys;
            var columns = keys.Concat(TotalColumns).ToList();
            var names = string.Join(", ", columns.Select(c => c.Name));
            SelectList = names;
            _upsertSql = $"""
                INSERT INTO {name} AS r ({names})
                SELECT {names}
                FROM unnest({string.Join(", ", columns.Select(c => $"@{c.Name}::{c.SqlType}[]"))}) AS u({names})
                ON CONFLICT ({string.Join(", ", keys.Select(c => c.Name))}) DO UPDATE SET
                {string.Join(",\n", TotalColumns.Select(c => $"{c.Name} = {string.Format(CultureInfo.InvariantCulture, c.Update, c.Name)}"))}
                """;
        }

        public static RollupTable Minute { get; } = new("usage_rollup_full_minute", FullKeys);

        public static RollupTable Hour { get; } = new("usage_rollup_full_hour", FullKeys);

        public static RollupTable By { get; } = new("usage_rollup_by", ProjectionKeys);

        public string Name { get; }

        /// <summary>Every column of a row, keys first: what <see cref="ReadFull"/> or <see cref="ReadProjection"/> reads.</summary>
        public string SelectList { get; }

        /// <summary>
        /// <paramref name="projectionSelect"/> (columns of <see cref="By"/>) of a full minute row read
        /// as a projection row of <paramref name="dimension"/>: its value of that dimension and its sums.
        /// </summary>
        public static string AsProjection(UsageDimension dimension, string projectionSelect)
        {
            var name = UsageDimensionNames.FieldName(dimension);
            return string.Join(", ", projectionSelect.Split(", ").Select(column => column switch
            {
                "tier" => "'minute' AS tier",
                "dimension" => $"'{name}' AS dimension",
                "value" => $"{name} AS value",
                _ => column,
            }));
        }

        /// <summary>A full row selected as its table's <see cref="SelectList"/>.</summary>
        public static RollupRow ReadFull(DbDataReader reader) => new(
            Utc(reader, 1),
            new RollupKey(
                reader.GetString(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetBoolean(10)),
            ReadTotals(reader, FullKeys.Length));

        /// <summary>A projection row selected as <see cref="By"/>'s <see cref="SelectList"/>.</summary>
        public static RollupRow ReadProjection(DbDataReader reader) => new(
            Utc(reader, 3),
            new ProjectionKey(reader.GetString(0), ProjectionKey.ParseDimension(reader.GetString(2)), reader.GetString(4), reader.GetBoolean(5)).ToRollupKey(),
            ReadTotals(reader, ProjectionKeys.Length));

        /// <summary>
        /// The upsert that adds <paramref name="rows"/> to their stored rows. Only folds write rollups,
        /// one at a time (the position row's lock), so no order of the rows is needed against deadlocks.
        /// </summary>
        public NpgsqlBatchCommand Upsert(IEnumerable<RollupCell> rows)
        {
            var cells = rows.ToList();
            var command = new NpgsqlBatchCommand(_upsertSql);
            foreach (var column in _keys.Concat(TotalColumns))
            {
                command.Parameters.Add(column.Bind(cells));
            }

            return command;
        }

        private static UsageTotals ReadTotals(DbDataReader reader, int first)
        {
            var totals = new UsageTotals();
            for (var i = 0; i < TotalColumns.Length; i++)
            {
                TotalColumns[i].Read!(reader, first + i, totals);
            }

            return totals;
        }

        private static RollupColumn Column<T>(string name, string sqlType, NpgsqlDbType type, Func<RollupCell, T> value, string update = Sum) =>
            new(name, sqlType, update, cells => new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = cells.Select(value).ToArray() }, null);

        private static RollupColumn Count(string name, Func<UsageTotals, long> get, Action<UsageTotals, long> set, string update = Sum) =>
            Column(name, "bigint", NpgsqlDbType.Bigint, c => get(c.Totals), update) with { Read = (reader, i, t) => set(t, reader.GetInt64(i)) };

        private static RollupColumn Money(string name, Func<UsageTotals, decimal> get, Action<UsageTotals, decimal> set) =>
            Column(name, "numeric", NpgsqlDbType.Numeric, c => get(c.Totals)) with { Read = (reader, i, t) => set(t, reader.GetDecimal(i)) };

        /// <remarks>Stored as segments, each a <see cref="LatencyHistogram"/> text, joined by ';' (script 0003).</remarks>
        private static RollupColumn Histogram(string name, Func<UsageTotals, LatencyHistogram> get, Action<UsageTotals, LatencyHistogram> set) =>
            Column(name, "text", NpgsqlDbType.Text, c => get(c.Totals).Encode(), "usage_histogram_add(r.{0}, excluded.{0})")
                with { Read = (reader, i, t) => set(t, ParseSegments(reader.GetString(i))) };

        private static LatencyHistogram ParseSegments(string stored)
        {
            var sum = new LatencyHistogram();
            foreach (var segment in stored.Split(';'))
            {
                sum.Add(LatencyHistogram.Parse(segment));
            }

            return sum;
        }

        /// <param name="Name">The column's name.</param>
        /// <param name="SqlType">Its type, as the upsert's array parameter is cast.</param>
        /// <param name="Update">How an upsert combines the stored value (<c>r</c>) with the new one (<c>excluded</c>), a format of the column name.</param>
        /// <param name="Bind">The parameter of the column's values for some rows.</param>
        /// <param name="Read">Sets the column's total from a read row; null for key columns.</param>
        private sealed record RollupColumn(
            string Name, string SqlType, string Update, Func<IReadOnlyList<RollupCell>, NpgsqlParameter> Bind,
            Action<DbDataReader, int, UsageTotals>? Read);
    }
}
