using System.Diagnostics;
using System.Globalization;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Bench;

/// <summary>
/// Durable ledger appends on the embedded SQLite default: the group-committing
/// <see cref="SqliteUsageLedger"/> against a baseline that commits (and fsyncs) once per batch,
/// with the same schema, statement and fsync setting, in the same process. Many gateways append
/// concurrently, as they do through the cluster.
/// </summary>
internal static class LedgerBenchmark
{
    public static async Task<int> RunAsync(Options options)
    {
        var gateways = options.Int("--gateways", 32);
        var batches = options.Int("--batches", 40);
        var events = options.Int("--events", 100);
        var total = gateways * batches * events;
        Console.WriteLine($"ledger: {gateways} gateways x {batches} batches x {events} events = {total:N0} events, SQLite synchronous=FULL");

        var ours = await MeasureAsync("group commit (SqliteUsageLedger)", gateways, batches, events, path => new SqliteUsageLedger($"Data Source={path}"));
        var baseline = await MeasureAsync("baseline: one commit per batch", gateways, batches, events, path => new PerBatchLedger($"Data Source={path}"));

        Console.WriteLine();
        Console.WriteLine($"{"store",-34} {"events/s",12} {"batch p50 ms",13} {"batch p99 ms",13}");
        foreach (var result in new[] { ours, baseline })
        {
            Console.WriteLine($"{result.Name,-34} {result.EventsPerSecond,12:N0} {result.P50,13:N2} {result.P99,13:N2}");
        }

        Console.WriteLine($"ratio (group commit / baseline): {ours.EventsPerSecond / baseline.EventsPerSecond:N1}x");
        return 0;
    }

    private static async Task<Result> MeasureAsync(
        string name, int gateways, int batches, int events, Func<string, IUsageLedger> create)
    {
        var directory = Path.Combine(Path.GetTempPath(), "bc-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "ledger.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync();
            await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
        }

        var ledger = create(path);
        var latencies = new List<double>(gateways * batches);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, gateways).Select(async g =>
        {
            for (var b = 0; b < batches; b++)
            {
                var batch = Enumerable.Range(0, events).Select(e => Entry(g, b, e, events)).ToList();
                var started = Stopwatch.GetTimestamp();
                await ledger.AppendAsync(batch);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                }
            }
        }));
        clock.Stop();
        if (ledger is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        latencies.Sort();
        return new Result(
            name,
            gateways * batches * events / clock.Elapsed.TotalSeconds,
            latencies[latencies.Count / 2],
            latencies[(int)(latencies.Count * 0.99)]);
    }

    private static LedgerEntry Entry(int gateway, int batch, int index, int perBatch) => new()
    {
        EnvironmentId = "env",
        RequestId = string.Create(CultureInfo.InvariantCulture, $"req-{gateway}-{batch}-{index}"),
        AttemptIndex = 0,
        DpId = string.Create(CultureInfo.InvariantCulture, $"dp-{gateway}"),
        Sequence = ((long)batch * perBatch) + index + 1,
        OccurredAt = DateTimeOffset.UtcNow,
        ReceivedAt = DateTimeOffset.UtcNow,
        ModelId = "m-gpt-4o",
        ApiKeyId = "k-frontend",
        PromptTokens = 1843,
        CompletionTokens = 212,
        CachedPromptTokens = 1536,
        StatusCode = 200,
        UpstreamLatencyMs = 2317,
        CostUsd = 0.0048075m,
        CacheSavingsUsd = 0m,
        Unpriced = false,
        CacheHit = false,
    };

    private sealed record Result(string Name, double EventsPerSecond, double P50, double P99);
}
