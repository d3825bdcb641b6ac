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
/// </summary>
public sealed class PostgresUsageLedger(NpgsqlDataSource dataSource) : GroupCommitLedger
{
    private const long PartitionLockKey = 0x42_43_4C_45_44_47_45_52; // "BCLEDGER"

    // The identity table decides what is new (a sequence clash is an error, not a duplicate);
    // only the new rows go on into the ledger.
    private const string InsertSql = """
        WITH batch AS (
            SELECT * FROM unnest(
                @env::text[], @req::text[], @att::integer[], @occ::timestamptz[], @dp::text[], @seq::bigint[], @rcv::timestamptz[],
                @model::text[], @key::text[], @pt::bigint[], @ct::bigint[], @cpt::bigint[],
                @cct::bigint[], @crt::bigint[], @rt::bigint[], @status::integer[],
                @lat::bigint[], @cost::numeric[], @sav::numeric[], @unpriced::boolean[], @hit::boolean[])
              AS b(environment_id, request_id, attempt_index, occurred_at, dp_id, seq, received_at,
                   model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
                   cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
                   upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit)
        ),
        fresh AS (
            INSERT INTO usage_event_identity (environment_id, request_id, attempt_index, dp_id, seq)
            SELECT environment_id, request_id, attempt_index, dp_id, seq FROM batch
            ON CONFLICT (environment_id, request_id, attempt_index) DO NOTHING
            RETURNING seq
        )
        INSERT INTO usage_ledger (
            environment_id, request_id, attempt_index, occurred_at, dp_id, seq, received_at,
            model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
            upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit)
        SELECT batch.* FROM batch JOIN fresh ON fresh.seq = batch.seq
        RETURNING seq
        """;

    private const string InsertAttributionSql = """
        INSERT INTO usage_attribution (environment_id, dp_id, seq, budget_id, period_start, cost_usd)
        SELECT * FROM unnest(@env::text[], @dp::text[], @seq::bigint[], @budget::text[], @period::timestamptz[], @cost::numeric[])
        """;

    private const string ReadGatewaySql = """
        SELECT environment_id, request_id, attempt_index, dp_id, seq, occurred_at, received_at,
               model_id, api_key_id, prompt_tokens, completion_tokens, cached_prompt_tokens,
               cache_creation_tokens, cache_read_tokens, reasoning_tokens, status_code,
               upstream_latency_ms, cost_usd, cache_savings_usd, unpriced, cache_hit
        FROM usage_ledger
        WHERE environment_id = @env AND dp_id = @dp AND seq > @after
        ORDER BY seq
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
            "SELECT coalesce(sum(cost_usd), 0) FROM usage_attribution WHERE budget_id = @budget AND period_start = @period",
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

    public override Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("rollups: being built (issue #10)");

    public override Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("export: being built (issue #10)");

    public override Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("scope sums: being built (issue #10)");

    protected override async Task<ICommitter> OpenCommitterAsync() =>
        new Writer(await dataSource.OpenConnectionAsync(), _partitions);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await ReadAllAsync(command, read, cancellationToken, parameters);
    }

    private static DateTimeOffset Utc(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));

    private static AttributionRow ReadAttribution(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), Utc(reader, 4), reader.GetDecimal(5));

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
            await _transaction!.CommitAsync();
            await _transaction.DisposeAsync();
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

            // A batch's sequences are distinct, so the returned ones say which rows were new.
            var inserted = new HashSet<long>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    inserted.Add(reader.GetInt64(0));
                }
            }

            return entries.Select(e => inserted.Contains(e.Sequence)).ToArray();
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

        private static void Add<T>(NpgsqlCommand command, string name, NpgsqlDbType type, IEnumerable<T> values) =>
            command.Parameters.Add(new NpgsqlParameter<T[]>(name, NpgsqlDbType.Array | type) { TypedValue = values.ToArray() });
    }
}
