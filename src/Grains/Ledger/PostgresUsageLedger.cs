using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
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
/// The group's transaction writes only ledger rows and attributions: the usage rollups are folded
/// from the committed rows afterwards (<c>PostgresUsageLedger.Rollups.cs</c>).
/// </para>
/// </summary>
/// <param name="dataSource">The ledger database.</param>
/// <param name="foldInterval">
/// How long committed rows wait at most to be folded (<see cref="DefaultFoldInterval"/> when
/// null); <see cref="Timeout.InfiniteTimeSpan"/> folds only when <see cref="FoldAsync"/> is called.
/// </param>
public sealed partial class PostgresUsageLedger(NpgsqlDataSource dataSource, TimeSpan? foldInterval = null)
    : GroupCommitLedger(foldInterval ?? DefaultFoldInterval, eagerFoldRows: 100_000)
{
    /// <summary>
    /// 5 s: every silo's views read the rows not folded yet from the ledger (no silo holds
    /// another's sums), so they wait less than on SQLite, where views read them from memory.
    /// </summary>
    public static readonly TimeSpan DefaultFoldInterval = TimeSpan.FromSeconds(5);

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

    /// <remarks>The ledger is partitioned by month of occurred_at: only the window's partitions are read.</remarks>
    public override async Task<IReadOnlyList<TokenSums>> SumTokensAsync(
        IReadOnlyList<string> environmentIds, DateTimeOffset occurredFrom, DateTimeOffset occurredBefore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environmentIds);
        await using var command = dataSource.CreateCommand("""
            SELECT model_id, price_version, cache_hit, count(*), sum(prompt_tokens)::bigint, sum(cached_prompt_tokens)::bigint,
                   sum(completion_tokens)::bigint, sum(cache_creation_tokens)::bigint, sum(cache_read_tokens)::bigint, sum(cost_usd)
            FROM usage_ledger
            WHERE environment_id = ANY(@envs) AND occurred_at >= @from AND occurred_at < @to
            GROUP BY model_id, price_version, cache_hit
            """);
        Add(command.Parameters, "envs", NpgsqlDbType.Text, environmentIds.Distinct(StringComparer.Ordinal));
        return await ReadAllAsync(
            command,
            reader => new TokenSums(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetBoolean(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDecimal(9)),
            cancellationToken,
            ("from", occurredFrom.ToUniversalTime()),
            ("to", occurredBefore.ToUniversalTime()));
    }

    /// <remarks>A transaction that takes a transaction id (only a writable server gives one) and rolls back.</remarks>
    public override async Task ProbeWriteAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var probe = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, probe);
        await command.ExecuteScalarAsync(cancellationToken);
        await probe.RollbackAsync(cancellationToken);
    }

    public override async Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default)
    {
        var sums = await QueryAsync(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM usage_ledger WHERE environment_id = @env AND dp_id = @dp",
            reader => (reader.GetInt64(0), reader.GetDecimal(1)), cancellationToken, ("env", environmentId), ("dp", dpId));
        return sums[0];
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
        Add(command.Parameters, "envs", NpgsqlDbType.Text, environments);
        var rows = await ReadAllAsync(
            command, ReadEntry, cancellationToken, ("xact", after.Transaction), ("number", after.Number), ("take", limit + 1));
        var events = rows.Take(limit).ToList();
        return new ExportPage(events, events.Count > 0 ? events[^1].Position : after, rows.Count > limit);
    }

    protected override async Task<ICommitter> OpenCommitterAsync() =>
        new Writer(await dataSource.OpenConnectionAsync(), _partitions);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await ReadAllAsync(command, read, cancellationToken, parameters);
    }

    private static void Add<T>(NpgsqlParameterCollection parameters, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = values.ToArray() });

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

    private sealed class Writer(NpgsqlConnection connection, ConcurrentDictionary<DateOnly, bool> partitions) : ICommitter
    {
        private NpgsqlTransaction? _transaction;

        /// <remarks>
        /// Partitions are created before the group's transaction, each in a short one of its own, so
        /// that the DDL's locks are never held for a whole group; a failure there loses the group.
        /// </remarks>
        public async Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches)
        {
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

            return Appended.Stored(inserted);
        }

        public async Task CommitAsync()
        {
            var transaction = _transaction ?? throw new InvalidOperationException("No group transaction has begun.");
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
            Add(command.Parameters, "env", NpgsqlDbType.Text, entries.Select(e => e.EnvironmentId));
            Add(command.Parameters, "req", NpgsqlDbType.Text, entries.Select(e => e.RequestId));
            Add(command.Parameters, "att", NpgsqlDbType.Integer, entries.Select(e => e.AttemptIndex));
            Add(command.Parameters, "occ", NpgsqlDbType.TimestampTz, entries.Select(e => e.OccurredAt.UtcDateTime));
            Add(command.Parameters, "dp", NpgsqlDbType.Text, entries.Select(e => e.DpId));
            Add(command.Parameters, "seq", NpgsqlDbType.Bigint, entries.Select(e => e.Sequence));
            Add(command.Parameters, "rcv", NpgsqlDbType.TimestampTz, entries.Select(e => e.ReceivedAt.UtcDateTime));
            Add(command.Parameters, "model", NpgsqlDbType.Text, entries.Select(e => e.ModelId));
            Add(command.Parameters, "key", NpgsqlDbType.Text, entries.Select(e => e.ApiKeyId));
            Add(command.Parameters, "pt", NpgsqlDbType.Bigint, entries.Select(e => e.PromptTokens));
            Add(command.Parameters, "ct", NpgsqlDbType.Bigint, entries.Select(e => e.CompletionTokens));
            Add(command.Parameters, "cpt", NpgsqlDbType.Bigint, entries.Select(e => e.CachedPromptTokens));
            Add(command.Parameters, "cct", NpgsqlDbType.Bigint, entries.Select(e => e.CacheCreationTokens));
            Add(command.Parameters, "crt", NpgsqlDbType.Bigint, entries.Select(e => e.CacheReadTokens));
            Add(command.Parameters, "rt", NpgsqlDbType.Bigint, entries.Select(e => e.ReasoningTokens));
            Add(command.Parameters, "status", NpgsqlDbType.Integer, entries.Select(e => e.StatusCode));
            Add(command.Parameters, "lat", NpgsqlDbType.Bigint, entries.Select(e => e.UpstreamLatencyMs));
            Add(command.Parameters, "cost", NpgsqlDbType.Numeric, entries.Select(e => e.CostUsd));
            Add(command.Parameters, "sav", NpgsqlDbType.Numeric, entries.Select(e => e.CacheSavingsUsd));
            Add(command.Parameters, "unpriced", NpgsqlDbType.Boolean, entries.Select(e => e.Unpriced));
            Add(command.Parameters, "hit", NpgsqlDbType.Boolean, entries.Select(e => e.CacheHit));
            Add(command.Parameters, "guard", NpgsqlDbType.Boolean, entries.Select(e => e.GuardrailBlocked));
            Add(command.Parameters, "ttft", NpgsqlDbType.Bigint, entries.Select(e => e.UpstreamTtftMs));
            Add(command.Parameters, "dlat", NpgsqlDbType.Bigint, entries.Select(e => e.DownstreamLatencyMs));
            Add(command.Parameters, "rmodel", NpgsqlDbType.Text, entries.Select(e => e.RequestedModel));
            Add(command.Parameters, "kind", NpgsqlDbType.Text, entries.Select(e => e.AttemptKind));
            Add(command.Parameters, "eclass", NpgsqlDbType.Text, entries.Select(e => e.ErrorClass));
            Add(command.Parameters, "cstatus", NpgsqlDbType.Text, entries.Select(e => e.CacheStatus));
            Add(command.Parameters, "pkey", NpgsqlDbType.Text, entries.Select(e => e.ProviderKeyId));
            Add(command.Parameters, "team", NpgsqlDbType.Text, entries.Select(e => e.TeamId));
            Add(command.Parameters, "member", NpgsqlDbType.Text, entries.Select(e => e.MemberId));
            Add(command.Parameters, "bound", NpgsqlDbType.Boolean, entries.Select(e => e.KeyBound));
            Add(command.Parameters, "pver", NpgsqlDbType.Integer, entries.Select(e => e.PriceVersion));

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
            Add(command.Parameters, "env", NpgsqlDbType.Text, rows.Select(r => r.Entry.EnvironmentId));
            Add(command.Parameters, "dp", NpgsqlDbType.Text, rows.Select(r => r.Entry.DpId));
            Add(command.Parameters, "seq", NpgsqlDbType.Bigint, rows.Select(r => r.Entry.Sequence));
            Add(command.Parameters, "budget", NpgsqlDbType.Text, rows.Select(r => r.Attribution.BudgetId));
            Add(command.Parameters, "period", NpgsqlDbType.TimestampTz, rows.Select(r => r.Attribution.PeriodStart.UtcDateTime));
            Add(command.Parameters, "cost", NpgsqlDbType.Numeric, rows.Select(r => r.Entry.CostUsd));
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
