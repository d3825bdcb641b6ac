using System.Globalization;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Bench;

/// <summary>
/// What the usage rollups cost ingest: the ingest baseline (the data plane's parsing and
/// validation, the pricer and the product's ledger writer, in this process, no cluster) with the
/// rollups written in each group commit and, in the same process, the same run without them
/// (the ledger's benchmark-only switch). Rounds alternate the order, each run on a fresh SQLite
/// file or a fresh database on one throwaway PostgreSQL, so drift of the machine falls on both.
/// </summary>
internal static class RollupCostBenchmark
{
    public const string Usage =
        "rollup-cost [--store sqlite|postgres] [--rounds 2] [--gateways 16] [--batch 100] [--keys 1000] [--duration 20] [--warmup 5] [--fold-interval SECONDS]";

    public static async Task<int> RunAsync(Options options)
    {
        var store = options.Text("--store", "sqlite");
        if (store is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException("--store is sqlite or postgres");
        }

        var rounds = options.Int("--rounds", 2);
        var gateways = options.Int("--gateways", 16);
        var batch = options.Int("--batch", 100);
        var keys = options.Int("--keys", 1000);
        var duration = TimeSpan.FromSeconds(options.Number("--duration", 20));
        var warmup = TimeSpan.FromSeconds(options.Number("--warmup", 5));
        var foldInterval = options.Number("--fold-interval", 0);
        IngestBaseline.FoldInterval = foldInterval > 0 ? TimeSpan.FromSeconds(foldInterval) : null;
        Console.WriteLine($"rollup-cost: {store}; ingest baseline, {gateways} writers, batches of {batch}, {keys} keys, "
            + $"{rounds} rounds of {duration.TotalSeconds:N0} s after {warmup.TotalSeconds:N0} s warm-up, with and without rollups");

        using var postgres = store == "postgres" ? PostgresServer.StartDedicated() : null;
        var rows = new List<string[]>();
        var (with, without) = (0.0, 0.0);
        for (var round = 1; round <= rounds; round++)
        {
            // Odd rounds measure with rollups first, even rounds without first.
            foreach (var rollups in round % 2 == 1 ? new[] { true, false } : [false, true])
            {
                Console.WriteLine($"round {round}, {(rollups ? "with" : "without")} rollups:");
                var result = await IngestBaseline.RunAsync(postgres, rollups, gateways, batch, keys, warmup, duration);
                rows.Add([round.ToString(CultureInfo.InvariantCulture), rollups ? "with rollups" : "without rollups",
                    Report.Number(result.Events), Report.Number(result.EventsPerSecond),
                    Report.Ms(result.Acks.Percentile(0.5)), Report.Ms(result.Acks.Percentile(0.99))]);
                if (rollups)
                {
                    with += result.EventsPerSecond;
                }
                else
                {
                    without += result.EventsPerSecond;
                }
            }
        }

        Report.Table(["round", "ledger", "events", "events/s", "append p50 ms", "append p99 ms"], rows);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean events/s with rollups / without: {with / rounds:N0} / {without / rounds:N0} = {with / without:N3} (rollups cost {1 - (with / without):P1})"));
        return 0;
    }
}
