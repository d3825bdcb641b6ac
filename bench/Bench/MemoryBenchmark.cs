using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// Memory per active budget: budgets are created through the admin API in steps, each then
/// receives spend (one priced event per budget's key), and the silo's resident memory is read
/// after each step. The slope between steps is what one more active budget costs: its grain,
/// its state, the decision view's entry and the catalog's index entry, all in that process.
/// </summary>
internal static class MemoryBenchmark
{
    public const string Usage = "memory [--budgets 100000] [--steps 4] [--parallel 8]";

    public static async Task<int> RunAsync(Options options)
    {
        var budgets = options.Int("--budgets", 100_000);
        var steps = options.Int("--steps", 4);
        var parallel = options.Int("--parallel", 8);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"memory: {cluster.Description}; {budgets:N0} api_key budgets in {steps} steps, each with spend");
        using var tenant = await Tenant.CreateAsync(cluster);
        var gateway = (await tenant.IssueGatewaysAsync(1, "dp-memory"))[0];
        var mix = new EventMix("m", budgets, seed: 5);
        await SpendAsync(gateway, mix, 0, 100); // warm the ingest path before the first reading
        var rows = new List<string[]>();
        var first = await SettledResidentBytesAsync(cluster);
        var previous = first;
        rows.Add(["0", Mib(first), "-", "-"]);
        var created = 0;
        var clock = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            var until = budgets * step / steps;
            var from = created;
            using var progress = new CancellationTokenSource();
            var printing = Report.ProgressAsync("budgets", () => Volatile.Read(ref created), null, progress.Token);
            await Parallel.ForAsync(from, until, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
            {
                await tenant.CreateBudgetAsync("api_key", mix.Key(i), 1_000_000m);
                Interlocked.Increment(ref created);
            });
            await SpendAsync(gateway, mix, from, until);
            await progress.CancelAsync();
            await printing;

            var now = await SettledResidentBytesAsync(cluster);
            rows.Add([
                until.ToString("N0", CultureInfo.InvariantCulture),
                Mib(now),
                Bytes((now - previous) / (double)(until - from)),
                Bytes((now - first) / (double)until),
            ]);
            previous = now;
        }

        Report.Table(["active budgets", "silo RSS MiB", "bytes/budget (this step)", "bytes/budget (since 0)"], rows);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"created and charged {budgets:N0} budgets in {clock.Elapsed.TotalSeconds:N0} s ({budgets / clock.Elapsed.TotalSeconds:N0}/s)"));
        return 0;
    }

    /// <summary>One priced event for each key in [from, until), in batches of 500.</summary>
    private static async Task SpendAsync(Gateway gateway, EventMix mix, int from, int until)
    {
        for (var start = from; start < until; start += 500)
        {
            var keys = Enumerable.Range(start, Math.Min(500, until - start)).Select(mix.Key);
            var (status, answer) = await gateway.PostTelemetryAsync(mix.PricedEach(keys, 0.01m));
            if (status != 200)
            {
                throw new InvalidOperationException($"spend answered {status}: {answer}");
            }
        }
    }

    /// <summary>Resident memory once it stops moving (background work after the last batch has settled).</summary>
    private static async Task<long> SettledResidentBytesAsync(Cluster cluster)
    {
        var last = Cluster.ResidentBytes(cluster.FirstSilo);
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(1000);
            var now = Cluster.ResidentBytes(cluster.FirstSilo);
            if (Math.Abs(now - last) < 1024 * 1024)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("N1", CultureInfo.InvariantCulture);

    private static string Bytes(double bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture);
}
