using BudgetCluster.TestSupport;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Telemetry;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace BudgetCluster.Bench;

/// <summary>
/// The ingest baseline: the work of ingest without the cluster. The same payloads, parsed and
/// validated by the data plane's own code, priced by the same pricer, and appended to the same
/// ledger store (a fresh SQLite file, or a fresh database on the same PostgreSQL server) with the
/// same concurrency, in this process. No HTTPS, no Orleans, no grain state, no budgets.
/// </summary>
internal static class IngestBaseline
{
    private static readonly ImmutableDictionary<string, ModelPricing> Prices = new Dictionary<string, ModelPricing>
    {
        ["m-gpt-4o"] = new() { InputPerMTok = 2.50m, OutputPerMTok = 10m, CachedInputPerMTok = 1.25m },
        ["m-claude-primary"] = new() { InputPerMTok = 3m, OutputPerMTok = 15m },
        ["m-claude-secondary"] = new() { InputPerMTok = 3m, OutputPerMTok = 15m, CacheWritePerMTok = 3.75m, CacheReadPerMTok = 0.30m },
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>The fold interval of the ledger with rollups (<c>--fold-interval</c>; null: the product's default).</summary>
    public static TimeSpan? FoldInterval { get; set; }

    public static Task<FleetResult> RunAsync(Cluster cluster, int gateways, int batchSize, int keys, TimeSpan warmup, TimeSpan duration) =>
        RunAsync(cluster.Postgres, writeRollups: true, gateways, batchSize, keys, warmup, duration);

    /// <summary>
    /// The baseline on a fresh database of <paramref name="postgres"/>, or a fresh SQLite file when
    /// that is null; <paramref name="writeRollups"/> false measures the same without the rollups
    /// (the ledger's fold loop off). With them, the rows the fold loop has not folded when the
    /// measured window ends are folded then, and that time is added to the window's: the rate is
    /// of events stored and folded.
    /// </summary>
    public static async Task<FleetResult> RunAsync(
        PostgresServer? postgres, bool writeRollups, int gateways, int batchSize, int keys, TimeSpan warmup, TimeSpan duration)
    {
        var (ledger, cleanup) = await OpenLedgerAsync(postgres, writeRollups);
        try
        {
            // The same warm-up as the cluster gets (JIT tiers, connection pools), then the measured run.
            var sequences = new long[gateways];
            await MeasureAsync(ledger, sequences, batchSize, keys, warmup);
            var result = await MeasureAsync(ledger, sequences, batchSize, keys, duration);
            if (!writeRollups)
            {
                return result;
            }

            var catchUp = Stopwatch.StartNew();
            var backlog = await ledger.FoldAsync();
            var seconds = result.Seconds + catchUp.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"fold backlog at the end of the window: {backlog:N0} rows, folded in {catchUp.Elapsed.TotalSeconds:N2} s (counted in the rate)"));
            return result with { Seconds = seconds, EventsPerSecond = result.Events / seconds };
        }
        finally
        {
            await cleanup();
        }
    }

    private static async Task<FleetResult> MeasureAsync(GroupCommitLedger ledger, long[] sequences, int batchSize, int keys, TimeSpan duration)
    {
        var gateways = sequences.Length;
        var latencies = new Latencies();
        long events = 0;
        var clock = Stopwatch.StartNew();
        using var progress = new CancellationTokenSource();
        var printing = Report.ProgressAsync("events", () => Interlocked.Read(ref events), null, progress.Token);
        await Task.WhenAll(Enumerable.Range(0, gateways).Select(g => Task.Run(async () =>
        {
            var mix = new EventMix("k", keys, seed: g + 1);
            var dpId = $"baseline-{g:D3}";
            var sequence = sequences[g];
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                var entries = Parse(mix.Batch(batchSize), dpId, ref sequence);
                await ledger.AppendAsync(entries).ConfigureAwait(false);
                latencies.Add(Latencies.Since(started));
                Interlocked.Add(ref events, entries.Count);
            }

            sequences[g] = sequence;
        })));
        clock.Stop();
        await progress.CancelAsync();
        await printing;
        return new FleetResult(events, clock.Elapsed.TotalSeconds, events / clock.Elapsed.TotalSeconds, latencies, 0);
    }

    private static List<LedgerEntry> Parse(byte[] body, string dpId, ref long sequence)
    {
        var now = TestClock.Now;
        var parsed = JsonSerializer.Deserialize(body, DataPlaneJsonContext.Default.TelemetryBody)!;
        var entries = new List<LedgerEntry>(parsed.Events!.Count);
        foreach (var element in parsed.Events)
        {
            var usage = UsageEventValidator.Validate(element, now, TimeSpan.FromHours(1), TimeSpan.FromDays(35), out var error)
                ?? throw new InvalidOperationException("the baseline generated an invalid event: " + error);
            var priced = UsagePricer.Price(usage, Prices.GetValueOrDefault(usage.ModelId));
            entries.Add(LedgerEntry.From(usage, priced, "env-" + Tenant.DefaultName, dpId, ++sequence, now, []));
        }

        return entries;
    }

    private static async Task<(GroupCommitLedger Ledger, Func<Task> Cleanup)> OpenLedgerAsync(PostgresServer? postgres, bool writeRollups)
    {
        if (postgres is not null)
        {
            var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("baseline"));
            await PostgresSchema.ApplyAsync(dataSource, ["PostgreSql/Ledger"]);
            var ledger = new PostgresUsageLedger(dataSource, writeRollups ? null : Timeout.InfiniteTimeSpan);
            return (ledger, async () =>
            {
                await ledger.DisposeAsync();
                await dataSource.DisposeAsync();
            });
        }

        var directory = Path.Combine(Path.GetTempPath(), "bc-baseline-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var connectionString = $"Data Source={Path.Combine(directory, "ledger.db")}";
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync();
            await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
        }

        var sqlite = new SqliteUsageLedger(connectionString, writeRollups ? FoldInterval : Timeout.InfiniteTimeSpan);
        return (sqlite, async () =>
        {
            await sqlite.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        });
    }
}
