using System.Diagnostics;
using System.Globalization;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;
using BudgetCluster.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Bench;

/// <summary>
/// The fold alone: <c>--events</c> rows of the ingest mix's cardinality (<c>--gateways</c> ×
/// <c>--keys</c>, three models, all in the current minute) appended to a fresh SQLite ledger with
/// its fold loop off, then folded once, nothing else running; <c>--rounds</c> times, each onto the
/// rollups the previous rounds left (rows of the same minutes, as steady traffic gives).
/// </summary>
internal static class FoldBenchmark
{
    public const string Usage = "fold [--events 150000] [--gateways 16] [--keys 1000] [--rounds 3]";

    public static async Task<int> RunAsync(Options options)
    {
        var events = options.Int("--events", 150_000);
        var gateways = options.Int("--gateways", 16);
        var keys = options.Int("--keys", 1000);
        var rounds = options.Int("--rounds", 3);
        var directory = Path.Combine(Path.GetTempPath(), "bc-fold-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var connectionString = $"Data Source={Path.Combine(directory, "ledger.db")}";
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync();
                await SchemaMigrator.ApplyAsync(connection, "Sqlite/Ledger");
            }

            await using var ledger = new SqliteUsageLedger(connectionString, Timeout.InfiniteTimeSpan);
            var random = new Random(1);
            var now = BudgetCluster.TestSupport.TestClock.Now;
            var sequence = 0L;
            for (var round = 1; round <= rounds; round++)
            {
                var inMemory = new RollupFold();
                var summing = new Stopwatch();
                for (var done = 0; done < events; done += 1000)
                {
                    var batch = Enumerable.Range(0, Math.Min(1000, events - done)).Select(i =>
                    {
                        var dpId = string.Create(CultureInfo.InvariantCulture, $"dp-{random.Next(gateways):D2}");
                        return UsageQueryBenchmark.Entry(random, "env-fold", dpId, ++sequence, now, now, keys, $"f{sequence}");
                    }).ToList();
                    await ledger.AppendAsync(batch);
                    summing.Start();
                    batch.ForEach(inMemory.Add);
                    summing.Stop();
                }

                var completing = Stopwatch.StartNew();
                inMemory.Complete();
                completing.Stop();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: in memory, {events:N0} rows summed into {inMemory.Minutes.Count:N0} minute rows in {summing.Elapsed.TotalMilliseconds:N0} ms ({summing.Elapsed.TotalMilliseconds * 1000 / events:N2} µs per row), hours and projections summed in {completing.Elapsed.TotalMilliseconds:N0} ms"));

                var clock = Stopwatch.StartNew();
                var folded = await ledger.FoldAsync();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: folded {folded:N0} rows in {clock.Elapsed.TotalMilliseconds:N0} ms ({clock.Elapsed.TotalMilliseconds * 1000 / folded:N2} µs per row)"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }
}
