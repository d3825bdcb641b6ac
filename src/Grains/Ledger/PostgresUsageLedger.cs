using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Usage;
using Npgsql;
using NpgsqlTypes;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The usage ledger on PostgreSQL (production), group-committed by <see cref="GroupCommitLedger"/>.
/// Each batch is one statement from arrays (<c>unnest</c>): the event identities go into
/// <c>usage_event_identity</c> with <c>ON CONFLICT DO NOTHING RETURNING</c>, which says which rows
/// are new, and only those go on into the partitioned ledger; the month partitions a batch needs are created
/// first, once per month and process, under an advisory lock so that silos never race on them.
/// <para>
/// Each row's commit position (the export cursor) is assigned by the table's defaults at insert: the
/// writing transaction's id (<c>pg_current_xact_id()</c>, the top-level one also inside a savepoint)
/// and a number from a sequence. The export reads only rows of transactions below the oldest one
/// still running (<c>pg_snapshot_xmin</c>), so a transaction that began earlier and commits later
/// than another is never passed over: every id below that horizon has ended for good.
/// </para>
/// <para>
/// The minute and hour rollups of a group are upserted once, just before it commits, from the rows
/// its appends inserted (a refused append adds nothing, a duplicate never counts): summed in C#
/// first, so that one statement never meets a key twice, and sorted, so that every writer locks
/// rollup rows in one order and two silos upserting the same keys cannot deadlock. A failure there
/// fails the group like a failed commit.
/// </para>
/// </summary>
/// <param name="dataSource">The ledger database.</param>
/// <param name="writeRollups">
/// For benchmarks only (the rollups' cost on ingest): false writes the ledger rows without their
/// rollups, which leaves every usage view and scope sum wrong. Never a configuration setting.
/// </param>
public sealed class PostgresUsageLedger(NpgsqlDataSource dataSource, bool writeRollups = true) : GroupCommitLedger
{
    private const long PartitionLockKey = 0x42_43_4C_45_44_47_45_52; // "BCLEDGER"

    // What a read returns of a row, in ReadEntry's order; the position last.
    private const string EntryColumns = """
        environment_id, request_id, attempt_index, dp_id, seq, occurred_at, received_at,
        model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
        cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
        upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit,
        guardrail_blocked, upstream_ttft_ms, downstream_latency_ms, requested_model, attempt_kind,
        error_class, cache_status, provider_key_id, team_id, member_id, key_bound, price_version,
        commit_xact::text::bigint AS commit_transaction, commit_number
        """;

    // The identity table decides what is new (a sequence clash is an error, not a duplicate);
    // only the new rows go on into the ledger. The commit position comes from the columns' defaults.
    private const string InsertSql = """
        WITH batch AS (
            SELECT * FROM unnest(
                @env::text[], @req::text[], @att::integer[], @occ::timestamptz[], @dp::text[], @seq::bigint[], @rcv::timestamptz[],
                @model::text[], @key::text[], @pt::bigint[], @ct::bigint[], @cpt::bigint[],
                @cct::bigint[], @crt::bigint[], @rt::bigint[], @status::integer[],
                @lat::bigint[], @cost::numeric[], @sav::numeric[], @unpriced::boolean[], @hit::boolean[],
                @guard::boolean[], @ttft::bigint[], @dlat::bigint[], @rmodel::text[], @kind::text[],
                @eclass::text[], @cstatus::text[], @pkey::text[], @team::text[], @member::text[], @bound::boolean[], @pver::integer[])
              AS b(environment_id, request_id, attempt_index, occurred_at, dp_id, seq, received_at,
                   model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
                   cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
                   upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit,
                   guardrail_blocked, upstream_ttft_ms, downstream_latency_ms, requested_model, attempt_kind,
                   error_class, cache_status, provider_key_id, team_id, member_id, key_bound, price_version)
        ),
        fresh AS (
            INSERT INTO usage_event_identity (environment_id, request_id, attempt_index, dp_id, seq)
            SELECT environment_id, request_id, attempt_index, dp_id, seq FROM batch
            ON CONFLICT (environment_id, request_id, attempt_index) DO NOTHING
            RETURNING environment_id, dp_id, seq
        )
        INSERT INTO usage_ledger (
            environment_id, request_id, attempt_index, occurred_at, dp_id, seq, received_at,
            model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
            upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit,
            guardrail_blocked, upstream_ttft_ms, downstream_latency_ms, requested_model, attempt_kind,
            error_class, cache_status, provider_key_id, team_id, member_id, key_bound, price_version)
        SELECT batch.* FROM batch JOIN fresh USING (environment_id, dp_id, seq)
        RETURNING environment_id, dp_id, seq
        """;

    private const string InsertAttributionSql = """
        INSERT INTO usage_attribution (environment_id, dp_id, seq, budget_id, period_start, cost_usd)
        SELECT * FROM unnest(@env::text[], @dp::text[], @seq::bigint[], @budget::text[], @period::timestamptz[], @cost::numeric[])
        """;

    private const string ReadGatewaySql = $"""
        SELECT {EntryColumns}
        FROM usage_ledger
        WHERE environment_id = @env AND dp_id = @dp AND seq > @after
        ORDER BY seq
        """;

    // Per environment two ranges of its commit index, merged: the rest of the cursor's transaction,
    // and the transactions after it below the oldest one still running (every id below that horizon
    // has ended). Two ranges rather than one row comparison, because the planner estimates a row
    // comparison by its first column alone: on a migrated ledger, whose old rows are all transaction
    // 0, it would expect no rows after (0, n) and sort every one of them instead of reading the index in order.
    private const string ReadEventsSql = $"""
        SELECT page.* FROM unnest(@envs::text[]) AS e(environment)
        CROSS JOIN LATERAL (
            (SELECT {EntryColumns}
             FROM usage_ledger
             WHERE environment_id = e.environment AND commit_xact = @xact::text::xid8 AND commit_number > @number
               AND commit_xact < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY commit_number
             LIMIT @take)
            UNION ALL
            (SELECT {EntryColumns}
             FROM usage_ledger
             WHERE environment_id = e.environment AND commit_xact > @xact::text::xid8
               AND commit_xact < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY commit_xact, commit_number
             LIMIT @take)
        ) AS page
        ORDER BY page.commit_transaction, page.commit_number
        LIMIT @take
        """;

    private const string ReadGatewayAttributionsSql = """
        SELECT budget_id, environment_id, dp_id, seq, period_start, cost_usd
        FROM usage_attribution
        WHERE environment_id = @env AND dp_id = @dp AND seq > @after
        ORDER BY seq, budget_id
        """;

    private const string ReadBudgetAttributionsSql = """
        SELECT budget_id, environment_id, dp_id, seq, period_start, cost_usd
        FROM usage_attribution
        WHERE budget_id = @budget AND period_start >= @from
        ORDER BY environment_id, dp_id, seq
        """;

    private const string SumBudgetPeriodSql =
        "SELECT coalesce(sum(cost_usd), 0) FROM usage_attribution WHERE budget_id = @budget AND period_start = @period";

    private readonly ConcurrentDictionary<DateOnly, bool> _partitions = new();

    public override Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadGatewaySql, ReadEntry, cancellationToken, ("env", environmentId), ("dp", dpId), ("after", afterSequence));

    public override Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadGatewayAttributionsSql, ReadAttribution, cancellationToken, ("env", environmentId), ("dp", dpId), ("after", afterSequence));

    public override Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default) =>
        QueryAsync(ReadBudgetAttributionsSql, ReadAttribution, cancellationToken, ("budget", budgetId), ("from", periodsFrom.UtcDateTime));

    public override async Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        var sums = await QueryAsync(
            SumBudgetPeriodSql,
            reader => reader.GetDecimal(0), cancellationToken, ("budget", budgetId), ("period", periodStart.UtcDateTime));
        return sums[0];
    }

    public override async Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default)
    {
        var sums = await QueryAsync(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM usage_ledger WHERE environment_id = @env AND dp_id = @dp",
            reader => (reader.GetInt64(0), reader.GetDecimal(1)), cancellationToken, ("env", environmentId), ("dp", dpId));
        return sums[0];
    }

    public override async Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = dataSource.CreateCommand();
        var union = RollupUnion(command, query, query.Boundaries, RollupTable.SelectList);
        if (union is null)
        {
            return [];
        }

        command.CommandText = union;
        return await ReadAllAsync(command, RollupTable.Read, cancellationToken);
    }

    public override async Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var environments = environmentIds.IsDefault ? [] : environmentIds.Distinct(StringComparer.Ordinal).ToArray();
        if (environments.Length == 0)
        {
            return new ExportPage([], after, false);
        }

        await using var command = dataSource.CreateCommand(ReadEventsSql);
        Add(command, "envs", NpgsqlDbType.Text, environments);
        var rows = await ReadAllAsync(
            command, ReadEntry, cancellationToken, ("xact", after.Transaction), ("number", after.Number), ("take", limit + 1));
        var events = rows.Take(limit).ToList();
        return new ExportPage(events, events.Count > 0 ? events[^1].Position : after, rows.Count > limit);
    }

    /// <remarks>
    /// One statement, so one snapshot: the scope's rollups and the budget's attributions are read
    /// as of the same instant, and no transaction's rows can be in one sum and not the other.
    /// </remarks>
    public override async Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.Boundaries.Length < 2)
        {
            throw new ArgumentException("A scope's boundaries are its period's start and end.", nameof(scope));
        }

        await using var command = dataSource.CreateCommand();
        var union = RollupUnion(command, scope, [scope.Boundaries[0], scope.Boundaries[^1]], "spend_usd")!;
        command.CommandText = $"SELECT (SELECT coalesce(sum(spend_usd), 0) FROM ({union}) AS scope), ({SumBudgetPeriodSql})";
        var sums = await ReadAllAsync(
            command, reader => new ScopeSpend(reader.GetDecimal(0), reader.GetDecimal(1)), cancellationToken,
            ("budget", budgetId), ("period", periodStart.UtcDateTime));
        return sums[0];
    }

    /// <summary>
    /// The rollup rows that answer <paramref name="query"/> over <paramref name="boundaries"/> (per
    /// <see cref="RollupPlan"/>: hour rows where whole hours lie in a bucket, minute rows elsewhere),
    /// as a query selecting <paramref name="select"/>, its parameters added to <paramref name="command"/>;
    /// null when there is no bucket.
    /// </summary>
    private static string? RollupUnion(NpgsqlCommand command, RollupQuery query, IReadOnlyList<DateTimeOffset> boundaries, string select)
    {
        var plan = RollupPlan.For(boundaries);
        var filters = new StringBuilder(query.KeyBoundOnly ? " AND key_bound" : "");
        foreach (var (dimension, values) in query.Filters.OrderBy(f => f.Key))
        {
            var column = UsageDimensionNames.FieldName(dimension);
            var name = "filter_" + column;
            filters.Append(CultureInfo.InvariantCulture, $" AND {column} = ANY(@{name})");
            Add(command, name, NpgsqlDbType.Text, values.IsDefault ? [] : values.ToArray());
        }

        Add(command, "envs", NpgsqlDbType.Text, query.EnvironmentIds.IsDefault ? [] : query.EnvironmentIds.ToArray());
        var parts = new List<string>();
        var hours = plan.Hours.Concat(plan.Days).OrderBy(range => range.From).ToList();
        foreach (var (tier, ranges) in new[] { (RollupTier.Minute, plan.Minutes), (RollupTier.Hour, (IReadOnlyList<RollupPlan.Range>)hours) })
        {
            if (ranges.Count == 0)
            {
                continue;
            }

            var table = RollupTable.TableOf(tier);
            Add(command, table + "_from", NpgsqlDbType.TimestampTz, ranges.Select(r => r.From.UtcDateTime));
            Add(command, table + "_to", NpgsqlDbType.TimestampTz, ranges.Select(r => r.To.UtcDateTime));
            // Each range is its own scan of the primary key (environment, start, ...). A plain join
            // of the ranges hides their bounds from the planner, which then scans the whole table
            // (seconds on a month of minute rows); OFFSET 0 keeps the lateral subquery from being
            // flattened into that join, so it runs once per range with the range as index bounds.
            parts.Add($"""
                SELECT {select}
                FROM unnest(@{table}_from::timestamptz[], @{table}_to::timestamptz[]) AS r(range_from, range_to)
                CROSS JOIN LATERAL (
                    SELECT * FROM {table}
                    WHERE environment_id = ANY(@envs) AND bucket_start >= r.range_from AND bucket_start < r.range_to{filters}
                    OFFSET 0) AS rollup
                """);
        }

        return parts.Count == 0 ? null : string.Join("\nUNION ALL\n", parts);
    }

    /// <summary>This store still writes its rollups in the ledger's transaction: nothing is left to fold.</summary>
    public override Task<long> FoldAsync(CancellationToken cancellationToken = default) => Task.FromResult(0L);

    public override Task<long> UnfoldedRowsAsync(CancellationToken cancellationToken = default) => Task.FromResult(0L);

    protected override async Task<ICommitter> OpenCommitterAsync() =>
        new Writer(await dataSource.OpenConnectionAsync(), _partitions, writeRollups);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await ReadAllAsync(command, read, cancellationToken, parameters);
    }

    private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = values.ToArray() });

    private static DateTimeOffset Utc(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    private static string? TextOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? Int64OrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static AttributionRow ReadAttribution(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), Utc(reader, 4), reader.GetDecimal(5));

    /// <summary>A row selected as <see cref="EntryColumns"/>.</summary>
    private static LedgerEntry ReadEntry(DbDataReader reader) => new()
    {
        EnvironmentId = reader.GetString(0),
        RequestId = reader.GetString(1),
        AttemptIndex = reader.GetInt32(2),
        DpId = reader.GetString(3),
        Sequence = reader.GetInt64(4),
        OccurredAt = Utc(reader, 5),
        ReceivedAt = Utc(reader, 6),
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
        CostUsd = reader.GetDecimal(17),
        CacheSavingsUsd = reader.GetDecimal(18),
        Unpriced = reader.GetBoolean(19),
        CacheHit = reader.GetBoolean(20),
        GuardrailBlocked = reader.GetBoolean(21),
        UpstreamTtftMs = Int64OrNull(reader, 22),
        DownstreamLatencyMs = Int64OrNull(reader, 23),
        RequestedModel = TextOrNull(reader, 24),
        AttemptKind = TextOrNull(reader, 25),
        ErrorClass = TextOrNull(reader, 26),
        CacheStatus = TextOrNull(reader, 27),
        ProviderKeyId = TextOrNull(reader, 28),
        TeamId = TextOrNull(reader, 29),
        MemberId = TextOrNull(reader, 30),
        KeyBound = reader.GetBoolean(31),
        PriceVersion = reader.IsDBNull(32) ? null : reader.GetInt32(32),
        Position = new CommitPosition(reader.GetInt64(33), reader.GetInt64(34)),
    };

    /// <summary>
    /// The two rollup tables (<c>usage_rollup_minute</c>, <c>usage_rollup_hour</c>, script 0003): one
    /// list of columns, from which the upsert, its parameters and the reads are all made.
    /// </summary>
    private static class RollupTable
    {
        private const string Sum = "r.{0} + excluded.{0}";

        private static readonly RollupColumn[] KeyColumns =
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

        private static readonly UsageDimension[] Dimensions = Enum.GetValues<UsageDimension>();

        private static readonly Dictionary<RollupTier, string> UpsertSql = new[] { RollupTier.Minute, RollupTier.Hour }.ToDictionary(t => t, Upsert);

        /// <summary>Every column of a rollup row, in <see cref="Read"/>'s order.</summary>
        public static string SelectList { get; } = string.Join(", ", KeyColumns.Concat(TotalColumns).Select(c => c.Name));

        public static string TableOf(RollupTier tier) => tier switch
        {
            RollupTier.Minute => "usage_rollup_minute",
            RollupTier.Hour => "usage_rollup_hour",
            _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
        };

        /// <summary>A row selected as <see cref="SelectList"/>.</summary>
        public static RollupRow Read(DbDataReader reader)
        {
            var key = new RollupKey(
                reader.GetString(0), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetBoolean(10));
            var totals = new UsageTotals();
            for (var i = 0; i < TotalColumns.Length; i++)
            {
                TotalColumns[i].Read!(reader, KeyColumns.Length + i, totals);
            }

            return new RollupRow(Utc(reader, 1), key, totals);
        }

        /// <summary>
        /// The upsert of the <paramref name="rows"/> a group adds to <paramref name="tier"/>, in one order for every
        /// writer (start, then the key's values), so that concurrent writers lock shared rows in the
        /// same order.
        /// </summary>
        public static NpgsqlBatchCommand UpsertCommand(Dictionary<(DateTimeOffset Start, RollupKey Key), UsageTotals> rows, RollupTier tier)
        {
            var cells = rows
                .Select(row => new RollupCell(row.Key.Start, row.Key.Key, row.Value))
                .ToList();
            cells.Sort(Compare);
            var command = new NpgsqlBatchCommand(UpsertSql[tier]);
            foreach (var column in KeyColumns.Concat(TotalColumns))
            {
                command.Parameters.Add(column.Bind(cells));
            }

            return command;
        }

        private static string Upsert(RollupTier tier)
        {
            var columns = KeyColumns.Concat(TotalColumns).ToList();
            var names = string.Join(", ", columns.Select(c => c.Name));
            return $"""
                INSERT INTO {TableOf(tier)} AS r ({names})
                SELECT {names}
                FROM unnest({string.Join(", ", columns.Select(c => $"@{c.Name}::{c.SqlType}[]"))}) WITH ORDINALITY AS u({names}, ordinal)
                ORDER BY ordinal
                ON CONFLICT ({string.Join(", ", KeyColumns.Select(c => c.Name))}) DO UPDATE SET
                {string.Join(",\n", TotalColumns.Select(c => $"{c.Name} = {string.Format(CultureInfo.InvariantCulture, c.Update, c.Name)}"))}
                """;
        }

        private static int Compare(RollupCell a, RollupCell b)
        {
            var order = a.Start.CompareTo(b.Start);
            foreach (var dimension in Dimensions)
            {
                if (order != 0)
                {
                    return order;
                }

                order = string.CompareOrdinal(a.Key.Get(dimension), b.Key.Get(dimension));
            }

            return order != 0 ? order : a.Key.KeyBound.CompareTo(b.Key.KeyBound);
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

        private readonly record struct RollupCell(DateTimeOffset Start, RollupKey Key, UsageTotals Totals);

        /// <param name="Name">The column's name.</param>
        /// <param name="SqlType">Its type, as the upsert's array parameter is cast.</param>
        /// <param name="Update">How an upsert combines the stored value (<c>r</c>) with the new one (<c>excluded</c>), a format of the column name.</param>
        /// <param name="Bind">The parameter of the column's values for some rows.</param>
        /// <param name="Read">Sets the column's total from a read row; null for key columns.</param>
        private sealed record RollupColumn(
            string Name, string SqlType, string Update, Func<IReadOnlyList<RollupCell>, NpgsqlParameter> Bind,
            Action<DbDataReader, int, UsageTotals>? Read);
    }

    private sealed class Writer(NpgsqlConnection connection, ConcurrentDictionary<DateOnly, bool> partitions, bool writeRollups) : ICommitter
    {
        private readonly List<LedgerEntry> _inserted = [];
        private NpgsqlTransaction? _transaction;

        /// <remarks>
        /// Partitions are created before the group's transaction, each in a short one of its own, so
        /// that the DDL's locks are never held for a whole group; a failure there loses the group.
        /// </remarks>
        public async Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches)
        {
            _inserted.Clear();
            await EnsurePartitionsAsync(batches.SelectMany(b => b).Select(e => MonthOf(e.OccurredAt)).Distinct());
            _transaction = await connection.BeginTransactionAsync();
        }

        public async Task<Appended> AppendAsync(IReadOnlyList<LedgerEntry> entries)
        {
            var transaction = _transaction ?? throw new InvalidOperationException("No group transaction has begun.");
            await transaction.SaveAsync("append");
            bool[] inserted;
            try
            {
                inserted = await InsertAsync(entries, transaction);
                await AttributeAsync(entries, inserted, transaction);
            }
            catch (PostgresException refusal)
            {
                // The server refused a row and marked the transaction failed; rolling back to the
                // savepoint makes it usable for the rest of the group. A lost connection is no
                // PostgresException and loses the group.
                await transaction.RollbackAsync("append");
                return Appended.Refused(refusal);
            }

            await transaction.ReleaseAsync("append");
            if (writeRollups)
            {
                _inserted.AddRange(entries.Where((_, i) => inserted[i]));
            }

            return Appended.Stored(inserted);
        }

        /// <remarks>
        /// The rollups of the whole group go in one round trip just before the commit, so the rollup
        /// rows other writers may want are locked for as short a time as possible, and in one order
        /// across all of the group's appends (per-append upserts would lock in several runs, each sorted
        /// but not together, and two silos could deadlock).
        /// </remarks>
        public async Task CommitAsync()
        {
            var transaction = _transaction ?? throw new InvalidOperationException("No group transaction has begun.");
            if (_inserted.Count > 0)
            {
                var minutes = Rollups.Aggregate(_inserted, null, RollupTier.Minute);
                await using var batch = new NpgsqlBatch(connection, transaction);
                batch.BatchCommands.Add(RollupTable.UpsertCommand(minutes, RollupTier.Minute));
                batch.BatchCommands.Add(RollupTable.UpsertCommand(Rollups.Coarsen(minutes, RollupTier.Hour), RollupTier.Hour));
                await batch.ExecuteNonQueryAsync();
                _inserted.Clear();
            }

            await transaction.CommitAsync();
            await transaction.DisposeAsync();
            _transaction = null;
        }

        public async ValueTask DisposeAsync()
        {
            if (_transaction is not null)
            {
                await _transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
        }

        private async Task<bool[]> InsertAsync(IReadOnlyList<LedgerEntry> entries, NpgsqlTransaction transaction)
        {
            await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
            Add(command, "env", NpgsqlDbType.Text, entries.Select(e => e.EnvironmentId));
            Add(command, "req", NpgsqlDbType.Text, entries.Select(e => e.RequestId));
            Add(command, "att", NpgsqlDbType.Integer, entries.Select(e => e.AttemptIndex));
            Add(command, "occ", NpgsqlDbType.TimestampTz, entries.Select(e => e.OccurredAt.UtcDateTime));
            Add(command, "dp", NpgsqlDbType.Text, entries.Select(e => e.DpId));
            Add(command, "seq", NpgsqlDbType.Bigint, entries.Select(e => e.Sequence));
            Add(command, "rcv", NpgsqlDbType.TimestampTz, entries.Select(e => e.ReceivedAt.UtcDateTime));
            Add(command, "model", NpgsqlDbType.Text, entries.Select(e => e.ModelId));
            Add(command, "key", NpgsqlDbType.Text, entries.Select(e => e.ApiKeyId));
            Add(command, "pt", NpgsqlDbType.Bigint, entries.Select(e => e.PromptTokens));
            Add(command, "ct", NpgsqlDbType.Bigint, entries.Select(e => e.CompletionTokens));
            Add(command, "cpt", NpgsqlDbType.Bigint, entries.Select(e => e.CachedPromptTokens));
            Add(command, "cct", NpgsqlDbType.Bigint, entries.Select(e => e.CacheCreationTokens));
            Add(command, "crt", NpgsqlDbType.Bigint, entries.Select(e => e.CacheReadTokens));
            Add(command, "rt", NpgsqlDbType.Bigint, entries.Select(e => e.ReasoningTokens));
            Add(command, "status", NpgsqlDbType.Integer, entries.Select(e => e.StatusCode));
            Add(command, "lat", NpgsqlDbType.Bigint, entries.Select(e => e.UpstreamLatencyMs));
            Add(command, "cost", NpgsqlDbType.Numeric, entries.Select(e => e.CostUsd));
            Add(command, "sav", NpgsqlDbType.Numeric, entries.Select(e => e.CacheSavingsUsd));
            Add(command, "unpriced", NpgsqlDbType.Boolean, entries.Select(e => e.Unpriced));
            Add(command, "hit", NpgsqlDbType.Boolean, entries.Select(e => e.CacheHit));
            Add(command, "guard", NpgsqlDbType.Boolean, entries.Select(e => e.GuardrailBlocked));
            Add(command, "ttft", NpgsqlDbType.Bigint, entries.Select(e => e.UpstreamTtftMs));
            Add(command, "dlat", NpgsqlDbType.Bigint, entries.Select(e => e.DownstreamLatencyMs));
            Add(command, "rmodel", NpgsqlDbType.Text, entries.Select(e => e.RequestedModel));
            Add(command, "kind", NpgsqlDbType.Text, entries.Select(e => e.AttemptKind));
            Add(command, "eclass", NpgsqlDbType.Text, entries.Select(e => e.ErrorClass));
            Add(command, "cstatus", NpgsqlDbType.Text, entries.Select(e => e.CacheStatus));
            Add(command, "pkey", NpgsqlDbType.Text, entries.Select(e => e.ProviderKeyId));
            Add(command, "team", NpgsqlDbType.Text, entries.Select(e => e.TeamId));
            Add(command, "member", NpgsqlDbType.Text, entries.Select(e => e.MemberId));
            Add(command, "bound", NpgsqlDbType.Boolean, entries.Select(e => e.KeyBound));
            Add(command, "pver", NpgsqlDbType.Integer, entries.Select(e => e.PriceVersion));

            // A gateway's sequences are distinct (the identity table holds each once), so the
            // returned ones say which rows were new, also of a batch of several gateways.
            var inserted = new HashSet<(string, string, long)>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    inserted.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                }
            }

            return entries.Select(e => inserted.Contains((e.EnvironmentId, e.DpId, e.Sequence))).ToArray();
        }

        private async Task AttributeAsync(IReadOnlyList<LedgerEntry> entries, bool[] inserted, NpgsqlTransaction transaction)
        {
            var rows = entries
                .Where((e, j) => inserted[j] && e.CostUsd != 0m)
                .SelectMany(e => e.Attributions.Select(a => (Entry: e, Attribution: a)))
                .ToList();
            if (rows.Count == 0)
            {
                return;
            }

            await using var command = new NpgsqlCommand(InsertAttributionSql, connection, transaction);
            Add(command, "env", NpgsqlDbType.Text, rows.Select(r => r.Entry.EnvironmentId));
            Add(command, "dp", NpgsqlDbType.Text, rows.Select(r => r.Entry.DpId));
            Add(command, "seq", NpgsqlDbType.Bigint, rows.Select(r => r.Entry.Sequence));
            Add(command, "budget", NpgsqlDbType.Text, rows.Select(r => r.Attribution.BudgetId));
            Add(command, "period", NpgsqlDbType.TimestampTz, rows.Select(r => r.Attribution.PeriodStart.UtcDateTime));
            Add(command, "cost", NpgsqlDbType.Numeric, rows.Select(r => r.Entry.CostUsd));
            await command.ExecuteNonQueryAsync();
        }

        private async Task EnsurePartitionsAsync(IEnumerable<DateOnly> months)
        {
            foreach (var month in months.Where(m => !partitions.ContainsKey(m)))
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await using var command = new NpgsqlCommand(CreatePartitionSql(month), connection, transaction);
                await command.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                partitions[month] = true;
            }
        }

        /// <summary>
        /// Invariant culture throughout: under a culture with another calendar (th-TH counts years
        /// from 543 BC) the bounds would name another year than the partition.
        /// </summary>
        private static string CreatePartitionSql(DateOnly month) => string.Create(CultureInfo.InvariantCulture, $"""
            SELECT pg_advisory_xact_lock({PartitionLockKey});
            CREATE TABLE IF NOT EXISTS usage_ledger_{month.Year:D4}_{month.Month:D2} PARTITION OF usage_ledger
                FOR VALUES FROM ('{month:yyyy-MM-dd} 00:00:00+00') TO ('{month.AddMonths(1):yyyy-MM-dd} 00:00:00+00');
            """);

        private static DateOnly MonthOf(DateTimeOffset instant) => new(instant.UtcDateTime.Year, instant.UtcDateTime.Month, 1);
    }
}
