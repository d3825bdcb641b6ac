using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

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

    /// <summary>The write connection with its prepared insert, whose parameters are bound anew for every row.</summary>
    private sealed class Writer : ICommitter
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter[] _p;
        private readonly SqliteCommand _attribute;
        private readonly SqliteParameter[] _a;

        private Writer(SqliteConnection connection)
        {
            _connection = connection;
            _insert = connection.CreateCommand();
            _insert.CommandText = InsertSql;
            string[] names =
            [
                "$env", "$req", "$att", "$dp", "$seq", "$occ", "$rcv", "$model", "$key", "$pt", "$ct", "$cpt",
                "$cct", "$crt", "$rt", "$status", "$lat", "$cost", "$sav", "$unpriced", "$hit",
            ];
            _p = names.Select(name => _insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            _attribute = connection.CreateCommand();
            _attribute.CommandText = InsertAttributionSql;
            string[] attributionNames = ["$env", "$dp", "$seq", "$budget", "$period", "$cost"];
            _a = attributionNames.Select(name => _attribute.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        }

        public static Writer Open(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                using var pragma = connection.CreateCommand();
                // WAL lets replays read while the writer commits; FULL makes every commit an fsync.
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
                pragma.ExecuteNonQuery();
                return new Writer(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public Task<bool[][]> CommitAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> group)
        {
            var results = new bool[group.Count][];
            using var transaction = _connection.BeginTransaction();
            _insert.Transaction = transaction;
            _attribute.Transaction = transaction;
            for (var i = 0; i < group.Count; i++)
            {
                var entries = group[i];
                var inserted = new bool[entries.Count];
                for (var j = 0; j < entries.Count; j++)
                {
                    var entry = entries[j];
                    Bind(entry);
                    inserted[j] = _insert.ExecuteNonQuery() == 1;
                    if (inserted[j] && entry.CostUsd != 0m)
                    {
                        Attribute(entry);
                    }
                }

                results[i] = inserted;
            }

            transaction.Commit();
            return Task.FromResult(results);
        }

        public async ValueTask DisposeAsync()
        {
            await _attribute.DisposeAsync();
            await _insert.DisposeAsync();
            await _connection.DisposeAsync();
        }

        private void Attribute(LedgerEntry e)
        {
            _a[0].Value = e.EnvironmentId;
            _a[1].Value = e.DpId;
            _a[2].Value = e.Sequence;
            _a[5].Value = e.CostUsd.ToString(CultureInfo.InvariantCulture);
            foreach (var attribution in e.Attributions)
            {
                _a[3].Value = attribution.BudgetId;
                _a[4].Value = attribution.PeriodStart.ToUnixTimeMilliseconds();
                _attribute.ExecuteNonQuery();
            }
        }

        private void Bind(LedgerEntry e)
        {
            _p[0].Value = e.EnvironmentId;
            _p[1].Value = e.RequestId;
            _p[2].Value = e.AttemptIndex;
            _p[3].Value = e.DpId;
            _p[4].Value = e.Sequence;
            _p[5].Value = e.OccurredAt.ToUnixTimeMilliseconds();
            _p[6].Value = e.ReceivedAt.ToUnixTimeMilliseconds();
            _p[7].Value = e.ModelId;
            _p[8].Value = e.ApiKeyId;
            _p[9].Value = e.PromptTokens;
            _p[10].Value = e.CompletionTokens;
            _p[11].Value = e.CachedPromptTokens;
            _p[12].Value = e.CacheCreationTokens;
            _p[13].Value = e.CacheReadTokens;
            _p[14].Value = e.ReasoningTokens;
            _p[15].Value = e.StatusCode;
            _p[16].Value = e.UpstreamLatencyMs;
            _p[17].Value = e.CostUsd.ToString(CultureInfo.InvariantCulture);
            _p[18].Value = e.CacheSavingsUsd.ToString(CultureInfo.InvariantCulture);
            _p[19].Value = e.Unpriced ? 1 : 0;
            _p[20].Value = e.CacheHit ? 1 : 0;
        }
    }
}
