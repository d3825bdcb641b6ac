using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TestSupport;
using Npgsql;
using NpgsqlTypes;

namespace BudgetCluster.Grains.Tests.Ledger;

/// <summary>
/// What only the PostgreSQL ledger has to prove: neither the export nor the rollup fold passes over
/// a transaction that commits after a later one, several silos writing and folding at once, and
/// the in-place migration of a ledger written by the schema before usage views.
/// </summary>
public sealed class PostgresExportTests(PostgresExportTests.Server server) : IClassFixture<PostgresExportTests.Server>, IAsyncLifetime
{
    private const string LedgerScripts = "PostgreSql/Ledger";
    private const string FirstUsageViewsScript = "PostgreSql/Ledger/0003";
    private const string RollupFoldScript = "PostgreSql/Ledger/0004";

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Server _server = server;
    private readonly List<PostgresUsageLedger> _silos = [];
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReadEventsAsync_TransactionThatBeganFirstCommitsLast_IsNotPassedOver()
    {
        var connectionString = await _server.Postgres.CreateDatabaseAsync("export");
        var dataSource = await MigratedAsync(connectionString);
        var minute = WholeMillisecond(TestClock.Now);
        await using var seeder = new PostgresUsageLedger(dataSource);
        await seeder.AppendAsync([Row("dp-a", "seed", 1, minute)]);

        // Silo A's group is held inside its transaction, after its rows went in and before its
        // commit; silo B writes after it and commits first.
        var siloA = OpenSilo(connectionString);
        var siloB = OpenSilo(connectionString);
        Task<bool[]> appendA;
        ExportPage whileAIsOpen;
        await using (var held = await HoldAppendAsync(dataSource, siloA, Row("dp-a", "a-1", 2, minute)))
        {
            appendA = held.Append;
            var storedB = await siloB.AppendAsync([Row("dp-b", "b-1", 1, minute)]);
            Assert.Equal([true], storedB);
            Assert.Equal((1, 0.01m), await seeder.SumGatewayAsync("env", "dp-b"));

            whileAIsOpen = await seeder.ReadEventsAsync(["env"], CommitPosition.Start, 100);
            Assert.False(appendA.IsCompleted);
        }

        var storedA = await appendA;
        Assert.Equal([true], storedA);
        // B committed, but A (an older transaction) was still open: nothing past A was readable.
        Assert.DoesNotContain(whileAIsOpen.Events, e => e.RequestId is "a-1" or "b-1");
        var rest = await ReadUntilAsync(seeder, ["env"], whileAIsOpen.Next, 3 - whileAIsOpen.Events.Count);
        var exported = whileAIsOpen.Events.Concat(rest).ToList();
        Assert.Equal(["seed", "a-1", "b-1"], exported.Select(e => e.RequestId));
        Assert.True(exported[1].Position < exported[2].Position);
        Assert.Empty((await seeder.ReadEventsAsync(["env"], exported[^1].Position, 100)).Events);
    }

    [Fact]
    public async Task ReadEventsAsync_SeveralSilosAppendingWhileAReaderPages_ReturnsEveryEventOnceInIncreasingPositions()
    {
        var connectionString = await _server.Postgres.CreateDatabaseAsync("export");
        var dataSource = await MigratedAsync(connectionString);
        const int Silos = 3;
        const int GatewaysPerSilo = 4;
        const int Batches = 15;
        const int Events = 20;
        var start = WholeMillisecond(TestClock.Now);
        var silos = Enumerable.Range(0, Silos).Select(_ => OpenSilo(connectionString)).ToList();
        var appended = new ConcurrentBag<string>();
        var writers = Task.WhenAll(silos.SelectMany((silo, s) => Enumerable.Range(0, GatewaysPerSilo).Select(g => Task.Run(async () =>
        {
            var dp = $"dp-{s}-{g}";
            for (var b = 0; b < Batches; b++)
            {
                var batch = Enumerable.Range(0, Events)
                    .Select(e => Row(dp, $"{dp}-{b}-{e}", (b * Events) + e + 1, start.AddSeconds(e), env: e % 3 == 0 ? "env-2" : "env"))
                    .ToList();
                Assert.All(await silo.AppendAsync(batch), Assert.True);
                foreach (var row in batch)
                {
                    appended.Add($"{row.EnvironmentId}/{row.RequestId}");
                }
            }
        }))));

        var seen = new List<LedgerEntry>();
        var cursor = CommitPosition.Start;
        async Task<ExportPage> NextPageAsync()
        {
            var page = await silos[0].ReadEventsAsync(["env", "env-2", "env"], cursor, 37);
            seen.AddRange(page.Events);
            cursor = page.Next;
            return page;
        }

        while (!writers.IsCompleted)
        {
            await NextPageAsync();
        }

        await writers;
        seen.AddRange(await ReadUntilAsync(silos[0], ["env", "env-2"], cursor, (Silos * GatewaysPerSilo * Batches * Events) - seen.Count));

        Assert.Equal(Silos * GatewaysPerSilo * Batches * Events, seen.Count);
        Assert.Equal(appended.Order(StringComparer.Ordinal), seen.Select(e => $"{e.EnvironmentId}/{e.RequestId}").Order(StringComparer.Ordinal));
        Assert.All(seen.Zip(seen.Skip(1)), pair => Assert.True(pair.First.Position < pair.Second.Position));
        Assert.Equal(seen.Where(e => e.EnvironmentId == "env-2").Select(e => e.RequestId), await ReadAllEventsAsync(silos[0], ["env-2"], 50));
    }

    [Fact]
    public async Task FoldAsync_TransactionStillOpenWhileALaterOneCommitsAndAFoldRuns_IsFoldedByALaterFoldOnce()
    {
        var connectionString = await _server.Postgres.CreateDatabaseAsync("fold-late");
        var dataSource = await MigratedAsync(connectionString);
        var minute = Rollups.StartOf(WholeMillisecond(TestClock.Now), RollupTier.Minute);
        var views = AroundOf(minute);
        var seeder = OpenSilo(connectionString);
        var seed = Row("dp-a", "seed", 1, minute);
        Assert.All(await seeder.AppendAsync([seed]), Assert.True);
        await FoldUntilAsync(seeder, 1);

        var (siloA, siloB) = (OpenSilo(connectionString), OpenSilo(connectionString));
        var a = Row("dp-a", "a-1", 2, minute.AddSeconds(1)) with { UpstreamLatencyMs = 900 };
        var b = Row("dp-b", "b-1", 1, minute.AddSeconds(2)) with { UpstreamLatencyMs = 40 };
        Task<bool[]> appendA;
        await using (var held = await HoldAppendAsync(dataSource, siloA, a))
        {
            appendA = held.Append;
            Assert.All(await siloB.AppendAsync([b]), Assert.True);

            // B committed after A began: a fold now may take neither, or it would pass A over.
            Assert.Equal(0, await siloB.FoldAsync());
            await AssertViewsAsync(seeder, [seed, b], views);
            Assert.False(appendA.IsCompleted);
        }

        Assert.All(await appendA, Assert.True);
        await AssertViewsAsync(seeder, [seed, a, b], views);
        await FoldUntilAsync(siloB, 2);
        await AssertViewsAsync(seeder, [seed, a, b], views);
        Assert.Equal(0, await seeder.FoldAsync());
        await AssertViewsAsync(siloA, [seed, a, b], views);
    }

    [Fact]
    public async Task FoldAsync_TwoSilosFoldingWhileTheyAppend_CountEveryRowOnce()
    {
        var connectionString = await _server.Postgres.CreateDatabaseAsync("fold-two");
        await MigratedAsync(connectionString);
        var silos = new[] { OpenSilo(connectionString), OpenSilo(connectionString) };
        var entries = UsageLedgerContract.RandomTraffic(seed: 23, count: 2400);
        var folded = 0L;

        // Both append and fold while the other does the same, into the same rollup rows; each
        // fold goes on from the position the other stored.
        await Task.WhenAll(silos.Select((silo, i) => Task.Run(async () =>
        {
            for (var part = i; part < 24; part += 2)
            {
                Assert.All(await silo.AppendAsync(entries.Skip(part * 100).Take(100).ToList()), Assert.True);
                Interlocked.Add(ref folded, await silo.FoldAsync());
            }
        })));

        await FoldUntilAsync(silos[0], entries.Count - folded);
        var baseHour = UsageLedgerContract.BaseHour;
        ImmutableArray<DateTimeOffset>[] views =
        [
            [baseHour, baseHour.AddMinutes(17), baseHour.AddHours(2), baseHour.AddHours(5)],
            [Rollups.StartOf(baseHour, RollupTier.Day), Rollups.StartOf(baseHour, RollupTier.Day).AddDays(2)],
        ];
        await AssertViewsAsync(silos[0], entries, views, "env-a", "env-b", "env-c");
        await AssertViewsAsync(silos[1], entries, views, "env-b");
    }

    [Fact]
    public async Task Migration_LedgerOfTheSchemaBeforeUsageViews_KeepsEveryRowNumbersItAndFoldsItsRollupsAgainExactly()
    {
        var connectionString = await _server.Postgres.CreateDatabaseAsync("migrate");
        var dataSource = Track(NpgsqlDataSource.Create(connectionString));
        await ApplyScriptsBeforeUsageViewsAsync(dataSource);
        var monthStart = NextMonthStart(TestClock.Now);
        var old = OldRows(monthStart.AddHours(-2), 400, new Random(20261201));
        await InsertWithTheOldSchemaAsync(dataSource, old);

        Assert.Equal(
            [FirstUsageViewsScript + "_usage_views.sql", RollupFoldScript + "_rollup_fold.sql"],
            await PostgresSchema.ApplyAsync(dataSource, [LedgerScripts]));

        await using var ledger = new PostgresUsageLedger(dataSource, Timeout.InfiniteTimeSpan);
        // Old rows read back as they were written, their key counted as bound when they had one.
        var migrated = old.Select(e => e with { KeyBound = e.ApiKeyId.Length > 0 }).ToList();
        var stored = new List<LedgerEntry>();
        foreach (var gateway in old.Select(e => (e.EnvironmentId, e.DpId)).Distinct())
        {
            stored.AddRange(await ledger.ReadGatewayAsync(gateway.EnvironmentId, gateway.DpId, 0));
        }

        Assert.Equal(
            migrated.OrderBy(e => e.EnvironmentId).ThenBy(e => e.DpId).ThenBy(e => e.Sequence),
            stored.OrderBy(e => e.EnvironmentId).ThenBy(e => e.DpId).ThenBy(e => e.Sequence));
        // Positions: transaction 0, numbered 1..n in the order the rows were received.
        var exported = await ReadAllEventsAsync(ledger, ["env-a", "env-b"], 64);
        Assert.Equal(migrated.OrderBy(e => e.ReceivedAt).Select(e => e.RequestId), exported);
        Assert.Equal(
            Enumerable.Range(1, old.Count).Select(n => new CommitPosition(0, n)),
            (await ledger.ReadEventsAsync(["env-a", "env-b"], CommitPosition.Start, 1000)).Events.Select(e => e.Position));

        // The rollups script 0003 backfilled are emptied: views read the old rows from the ledger
        // until the fold has summed every one of them again.
        ImmutableArray<DateTimeOffset>[] views =
        [
            Enumerable.Range(0, (4 * 60) + 1).Select(m => monthStart.AddHours(-2).AddMinutes(m)).ToImmutableArray(),
            Enumerable.Range(0, 5).Select(h => monthStart.AddHours(-2 + h)).ToImmutableArray(),
            [monthStart.AddDays(-1), monthStart, monthStart.AddDays(1)],
        ];
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM usage_rollup_full_minute"));
        await AssertViewsAsync(ledger, migrated, views, "env-a", "env-b");
        Assert.Equal(old.Count, await ledger.FoldAsync());
        Assert.Equal((long)old.Count, await ScalarAsync(dataSource, "SELECT through_number FROM usage_rollup_folded WHERE through_xact = '0'"));
        await AssertViewsAsync(ledger, migrated, views, "env-a", "env-b");

        // Appends go on: after every old row in commit order, and into the same rollup rows.
        var sameKeyAsAnOldRow = migrated[0];
        var fresh = new List<LedgerEntry>
        {
            sameKeyAsAnOldRow with { RequestId = "new-1", AttemptIndex = 0, Sequence = 10_000, UpstreamTtftMs = 120 },
            sameKeyAsAnOldRow with
            {
                RequestId = "new-2", AttemptIndex = 0, Sequence = 10_001, TeamId = "t", MemberId = "u", ProviderKeyId = "pk",
                AttemptKind = "fallback", ErrorClass = StatusClass.BudgetErrorClass, StatusCode = 429, KeyBound = true,
            },
        };
        var storedFresh = await ledger.AppendAsync(fresh);
        Assert.Equal([true, true], storedFresh);
        await AssertViewsAsync(ledger, [.. migrated, .. fresh], views, "env-a", "env-b");
        await FoldUntilAsync(ledger, fresh.Count);
        await AssertViewsAsync(ledger, [.. migrated, .. fresh], views, "env-a", "env-b");
        var last = await ReadUntilAsync(ledger, ["env-a", "env-b"], new CommitPosition(0, old.Count), 2);
        Assert.Equal(["new-1", "new-2"], last.Select(e => e.RequestId));
        Assert.All(last, e => Assert.True(e.Position.Transaction > 0));
    }

    [Fact]
    public async Task LatencyBucketFunction_OfTheMigration_PutsEveryValueInLatencyHistogramsBucket()
    {
        var dataSource = await MigratedAsync(await _server.Postgres.CreateDatabaseAsync("bucket"));
        var values = new List<long> { long.MinValue, -1, long.MaxValue, 1_000_000_000_000 };
        values.AddRange(Enumerable.Range(0, 20).Select(v => (long)v));
        for (var bucket = LatencyHistogram.ExactBelow + 1; bucket <= LatencyHistogram.MaxBucket; bucket++)
        {
            var threshold = FirstValueOf(bucket);
            values.AddRange([threshold - 1, threshold, threshold + 1]);
        }

        await using var command = dataSource.CreateCommand("SELECT usage_latency_bucket(v) FROM unnest(@values) WITH ORDINALITY AS u(v, i) ORDER BY i");
        command.Parameters.Add(new NpgsqlParameter<long[]>("values", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = values.ToArray() });
        var buckets = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                buckets.Add(reader.GetInt32(0));
            }
        }

        Assert.Equal(values.Select(LatencyHistogram.BucketOf), buckets);
    }

    [Fact]
    public async Task HistogramMergeFunction_AddsStoredHistogramsOfSeveralSegmentsIntoOne()
    {
        var dataSource = await MigratedAsync(await _server.Postgres.CreateDatabaseAsync("merge"));
        var random = new Random(3);
        var segments = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => Histogram(random)).ToList()).ToList();
        var pairs = segments.Select(s => (string.Join(';', s), Histogram(random))).Append(("", "")).Append(("", "3:1")).Append(("3:1;", "")).ToList();

        var merged = await SelectTextAsync(dataSource, "usage_histogram_merge", pairs);

        Assert.Equal(
            pairs.Select(p => p.Item1.Split(';').Aggregate(p.Item2, LatencyHistogram.Merge)),
            merged);
    }

    [Fact]
    public async Task FoldAsync_OneRollupRowUpdatedByManyFolds_StaysUnderThirtyThreeSegmentsAndExact()
    {
        var dataSource = await MigratedAsync(await _server.Postgres.CreateDatabaseAsync("segments"));
        var start = Rollups.StartOf(WholeMillisecond(TestClock.Now), RollupTier.Minute);
        await using var ledger = new PostgresUsageLedger(dataSource, Timeout.InfiniteTimeSpan);
        var rows = Enumerable.Range(1, 80)
            .Select(i => Row("dp", $"r-{i}", i, start.AddMilliseconds(i)) with { UpstreamLatencyMs = i * 37, UpstreamTtftMs = i % 3 == 0 ? i : null })
            .ToList();
        foreach (var row in rows)
        {
            await ledger.AppendAsync([row]);
            await FoldUntilAsync(ledger, 1);
        }

        await using var command = dataSource.CreateCommand("SELECT latency_histogram, ttft_histogram FROM usage_rollup_full_minute");
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.All(new[] { reader.GetString(0), reader.GetString(1) }, stored => Assert.InRange(stored.Split(';').Length, 1, 32));
            Assert.False(await reader.ReadAsync());
        }

        await AssertViewsAsync(ledger, rows, AroundOf(start));
    }

    private static async Task<List<string>> SelectTextAsync(NpgsqlDataSource dataSource, string function, IReadOnlyList<(string, string)> pairs)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {function}(a, b) FROM unnest(@a::text[], @b::text[]) WITH ORDINALITY AS u(a, b, i) ORDER BY i");
        command.Parameters.Add(new NpgsqlParameter<string[]>("a", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = pairs.Select(p => p.Item1).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]>("b", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = pairs.Select(p => p.Item2).ToArray() });
        var texts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private static string Histogram(Random random)
    {
        var histogram = new LatencyHistogram();
        for (var i = random.Next(4); i > 0; i--)
        {
            histogram.Add(random.Next(2) == 0 ? random.Next(30) : random.NextInt64(100_000_000));
        }

        return histogram.Encode();
    }

    private static long FirstValueOf(int bucket)
    {
        long low = 0, high = long.MaxValue;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            (low, high) = LatencyHistogram.BucketOf(middle) >= bucket ? (low, middle) : (middle + 1, high);
        }

        return low;
    }

    /// <summary>A ledger of its own connection pool, as a silo has; disposed with the test.</summary>
    private PostgresUsageLedger OpenSilo(string connectionString)
    {
        var silo = new PostgresUsageLedger(Track(NpgsqlDataSource.Create(connectionString)));
        _silos.Add(silo);
        return silo;
    }

    private NpgsqlDataSource Track(NpgsqlDataSource dataSource)
    {
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private async Task<NpgsqlDataSource> MigratedAsync(string connectionString)
    {
        var dataSource = Track(NpgsqlDataSource.Create(connectionString));
        await PostgresSchema.ApplyAsync(dataSource, [LedgerScripts]);
        return dataSource;
    }

    /// <summary>What a database of the schema before usage views holds: the older scripts, applied and recorded as the migrator does.</summary>
    private static async Task ApplyScriptsBeforeUsageViewsAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await Execute(connection, "CREATE TABLE budgetcluster_schema (script TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
        foreach (var (name, sql) in SchemaMigrator.LoadScripts(LedgerScripts).Where(s => string.CompareOrdinal(s.Name, FirstUsageViewsScript) < 0))
        {
            await Execute(connection, sql);
            await using var record = new NpgsqlCommand("INSERT INTO budgetcluster_schema VALUES (@script, 'before usage views')", connection);
            record.Parameters.AddWithValue("script", name);
            await record.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The rows as the writer before usage views inserted them: identities, month partitions, the old columns, attributions.</summary>
    private static async Task InsertWithTheOldSchemaAsync(NpgsqlDataSource dataSource, IReadOnlyList<LedgerEntry> rows)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var month in rows.Select(e => new DateTimeOffset(e.OccurredAt.Year, e.OccurredAt.Month, 1, 0, 0, 0, TimeSpan.Zero)).Distinct())
        {
            await Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"CREATE TABLE usage_ledger_{month:yyyy_MM} PARTITION OF usage_ledger FOR VALUES FROM ('{month:yyyy-MM-dd} 00:00:00+00') TO ('{month.AddMonths(1):yyyy-MM-dd} 00:00:00+00')"));
        }

        // The old table's columns are exactly these fields, in snake case.
        var json = JsonSerializer.Serialize(
            rows.Select(e => new
            {
                e.EnvironmentId, e.RequestId, e.AttemptIndex, e.OccurredAt, e.DpId, Seq = e.Sequence, e.ReceivedAt, e.ModelId, e.ApiKeyId,
                e.PromptTokens, e.CompletionTokens, e.CachedPromptTokens, e.CacheCreationTokens, e.CacheReadTokens, e.ReasoningTokens,
                e.StatusCode, e.UpstreamLatencyMs, e.CostUsd, e.CacheSavingsUsd, e.Unpriced, e.CacheHit,
            }),
            SnakeCase);
        await using var command = new NpgsqlCommand("""
            INSERT INTO usage_ledger SELECT * FROM jsonb_populate_recordset(NULL::usage_ledger, @rows::jsonb);
            INSERT INTO usage_event_identity SELECT environment_id, request_id, attempt_index, dp_id, seq FROM usage_ledger;
            INSERT INTO usage_attribution SELECT environment_id, dp_id, seq, 'b-old', occurred_at, cost_usd FROM usage_ledger;
            """, connection);
        command.Parameters.AddWithValue("rows", json);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Rows of the old schema's fields over the four hours from <paramref name="from"/> (across a
    /// month boundary), in no order: received in an order of their own, so that numbering them by
    /// receipt is seen, with latencies on and beside histogram bucket boundaries.
    /// </summary>
    private static List<LedgerEntry> OldRows(DateTimeOffset from, int count, Random random)
    {
        long[] latencies = [0, 1, 15, 16, 17, 18, 19, 999, 1000, 1001, 1002, 87_274_950, 87_274_951, 400_000_000];
        int[] statuses = [200, 200, 201, 302, 400, 429, 500, 503, 0];
        var received = Enumerable.Range(0, count).OrderBy(_ => random.Next()).ToList();
        var sequences = new Dictionary<(string, string), long>();
        return Enumerable.Range(0, count).Select(i =>
        {
            var (env, dp) = ($"env-{"ab"[random.Next(2)]}", $"dp-{random.Next(3)}");
            var sequence = sequences[(env, dp)] = sequences.GetValueOrDefault((env, dp)) + 1;
            var occurred = from.AddMinutes(random.Next(4 * 60)).AddMilliseconds(random.Next(60_000));
            return UsageLedgerContract.Entry(env, dp, $"old-{i}", random.Next(3) == 0 ? 1 : 0, sequence, Math.Round((decimal)random.NextDouble() / 10, 7)) with
            {
                OccurredAt = occurred,
                ReceivedAt = from.AddHours(5).AddMilliseconds(received[i]),
                ModelId = new[] { "m-1", "m-2", "" }[random.Next(3)],
                ApiKeyId = new[] { "k-1", "k-2", "" }[random.Next(3)],
                PromptTokens = random.Next(10_000),
                CompletionTokens = random.Next(1_000),
                CachedPromptTokens = random.Next(100),
                CacheCreationTokens = random.Next(50),
                CacheReadTokens = random.Next(50),
                ReasoningTokens = random.Next(300),
                StatusCode = statuses[random.Next(statuses.Length)],
                UpstreamLatencyMs = random.Next(2) == 0 ? latencies[random.Next(latencies.Length)] : random.Next(60_000),
                CacheSavingsUsd = Math.Round((decimal)random.NextDouble() / 100, 7),
                Unpriced = random.Next(5) == 0,
                CacheHit = random.Next(4) == 0,
            };
        }).OrderBy(_ => random.Next()).ToList();
    }

    private static LedgerEntry Row(string dp, string requestId, long sequence, DateTimeOffset occurredAt, string env = "env", string model = "m", string key = "k") =>
        UsageLedgerContract.Entry(env, dp, requestId, 0, sequence) with
        {
            OccurredAt = occurredAt,
            ReceivedAt = occurredAt,
            ModelId = model,
            ApiKeyId = key,
            KeyBound = true,
        };

    /// <summary>
    /// That the usage views of <paramref name="environments"/> (<c>env</c> when none are named) over
    /// each of <paramref name="boundaries"/> sum exactly <paramref name="rows"/>: full rows, one
    /// dimension's projection and the environments' totals.
    /// </summary>
    private static async Task AssertViewsAsync(
        PostgresUsageLedger ledger, IReadOnlyList<LedgerEntry> rows, ImmutableArray<DateTimeOffset>[] boundaries, params string[] environments)
    {
        ImmutableArray<string> asked = environments.Length == 0 ? ["env"] : [.. environments];
        ImmutableArray<UsageDimension>[] groupings = [[.. Enum.GetValues<UsageDimension>()], [UsageDimension.Model], []];
        foreach (var buckets in boundaries)
        {
            foreach (var groupBy in groupings)
            {
                var query = new RollupQuery { EnvironmentIds = asked, Boundaries = buckets, GroupBy = groupBy };
                var expected = UsageLedgerContract.Shaped(UsageLedgerContract.Expected(rows, buckets, e => asked.Contains(e.EnvironmentId)), query);
                Assert.NotEmpty(expected);
                UsageLedgerContract.AssertSameBuckets(
                    expected, UsageLedgerContract.Shaped(UsageLedgerContract.SumPerBucket(await ledger.ReadRollupsAsync(query), buckets), query));
            }
        }
    }

    /// <summary>The UTC minute, hour and day <paramref name="instant"/> falls in, each as one bucket.</summary>
    private static ImmutableArray<DateTimeOffset>[] AroundOf(DateTimeOffset instant) =>
        [.. new[] { RollupTier.Minute, RollupTier.Hour, RollupTier.Day }.Select(tier =>
            ImmutableArray.Create(Rollups.StartOf(instant, tier), Rollups.StartOf(instant, tier) + Rollups.Width(tier)))];

    /// <summary>
    /// Folds until <paramref name="count"/> rows were folded, and fails if more were. A fold takes
    /// only rows below the oldest transaction open on the whole server (autovacuum's included), so
    /// rows just committed may take a moment to be foldable; the test fails if they never are.
    /// </summary>
    private static async Task FoldUntilAsync(PostgresUsageLedger ledger, long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var folded = await ledger.FoldAsync();
        while (folded < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {folded} of {count} rows were folded");
            await Task.Delay(20);
            folded += await ledger.FoldAsync();
        }

        Assert.Equal(count, folded);
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// An append of <paramref name="silo"/> held inside its group's transaction, after its ledger row
    /// went in and before its commit: a transaction of the test's own has inserted the attribution
    /// the row's append also inserts, and holds it until disposed (rolled back), when the append commits.
    /// </summary>
    private static async Task<HeldAppend> HoldAppendAsync(NpgsqlDataSource dataSource, PostgresUsageLedger silo, LedgerEntry row)
    {
        var connection = await dataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        var period = Rollups.StartOf(row.OccurredAt, RollupTier.Day);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO usage_attribution VALUES (@env, @dp, @seq, 'b-held', @period, 0)", connection, transaction))
        {
            insert.Parameters.AddWithValue("env", row.EnvironmentId);
            insert.Parameters.AddWithValue("dp", row.DpId);
            insert.Parameters.AddWithValue("seq", row.Sequence);
            insert.Parameters.AddWithValue("period", period.UtcDateTime);
            await insert.ExecuteNonQueryAsync();
        }

        var append = silo.AppendAsync([row with { Attributions = [new BudgetAttribution("b-held", period)] }]);
        await WaitForLockWaitAsync(dataSource, "INSERT INTO usage_attribution");
        return new HeldAppend(connection, transaction, append);
    }

    private sealed class HeldAppend(NpgsqlConnection connection, NpgsqlTransaction transaction, Task<bool[]> append) : IAsyncDisposable
    {
        public Task<bool[]> Append { get; } = append;

        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private static async Task<List<string>> ReadAllEventsAsync(PostgresUsageLedger ledger, ImmutableArray<string> environments, int limit)
    {
        var ids = new List<string>();
        var cursor = CommitPosition.Start;
        ExportPage page;
        do
        {
            page = await ledger.ReadEventsAsync(environments, cursor, limit);
            ids.AddRange(page.Events.Select(e => e.RequestId));
            cursor = page.Next;
        }
        while (page.HasMore);

        return ids;
    }

    /// <summary>
    /// Pages from <paramref name="after"/> until <paramref name="count"/> events came. The export
    /// withholds rows while any older transaction of the server is open (autovacuum's included), so
    /// rows just committed may take a moment to become readable; the test fails if they never do.
    /// </summary>
    private static async Task<List<LedgerEntry>> ReadUntilAsync(
        PostgresUsageLedger ledger, ImmutableArray<string> environments, CommitPosition after, int count)
    {
        var events = new List<LedgerEntry>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (events.Count < count)
        {
            var page = await ledger.ReadEventsAsync(environments, after, 100);
            events.AddRange(page.Events);
            after = page.Next;
            if (page.Events.Count == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {events.Count} of {count} events became readable");
                await Task.Delay(20);
            }
        }

        return events;
    }

    /// <summary>Until a backend of the database waits for a lock in a statement that contains <paramref name="statement"/>.</summary>
    private static async Task WaitForLockWaitAsync(NpgsqlDataSource dataSource, string statement)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var command = dataSource.CreateCommand("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND strpos(query, @statement) > 0
                """);
            command.Parameters.AddWithValue("statement", statement);
            if ((long)(await command.ExecuteScalarAsync())! == 1)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no statement with {statement} came to wait for a lock");
            await Task.Delay(10);
        }
    }

    private static DateTimeOffset WholeMillisecond(DateTimeOffset instant) =>
        DateTimeOffset.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds());

    private static DateTimeOffset NextMonthStart(DateTimeOffset instant) =>
        new DateTimeOffset(instant.UtcDateTime.Year, instant.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A PostgreSQL server of this class's own: the export's horizon is the oldest transaction
    /// open on the whole server, and tests of other classes write to the shared one all the time.
    /// </summary>
    public sealed class Server : IDisposable
    {
        public PostgresServer Postgres { get; } = PostgresServer.StartDedicated();

        public void Dispose() => Postgres.Dispose();
    }
}
