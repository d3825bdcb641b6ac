using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// Budget definitions at scale: one organization (one environment with its gateways) grows to many
/// budgets, one per API key, registered through the admin API several at a time. After each step it
/// reports the registration rate of that step and how long changing one existing budget's limit
/// takes at that size: a definition change should cost the same whatever the org's size.
/// </summary>
internal static class DefinitionsBenchmark
{
    public const string Usage = "definitions [--budgets 3000] [--steps 3] [--parallel 8] [--gateways 4] [--changes 50]";

    public static async Task<int> RunAsync(Options options)
    {
        var budgets = options.Int("--budgets", 3000);
        var steps = Math.Clamp(options.Int("--steps", 3), 1, budgets);
        var parallel = options.Int("--parallel", 8);
        var gateways = options.Int("--gateways", 4);
        var changes = options.Int("--changes", 50);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"definitions: {cluster.Description}; one org growing to {budgets:N0} api_key budgets in {steps} steps, "
            + $"{parallel} registrations at a time, {gateways} gateways in its environment; {changes} limit changes timed after each step");
        using var tenant = await Tenant.CreateAsync(cluster, models: false);
        foreach (var gateway in await tenant.IssueGatewaysAsync(gateways, "dp-def"))
        {
            gateway.Dispose();
        }

        var ids = new string[budgets];
        var created = 0;
        var rows = new List<string[]>();
        for (var step = 1; step <= steps; step++)
        {
            var (from, until) = (budgets * (step - 1) / steps, budgets * step / steps);
            using var progress = new CancellationTokenSource();
            var printing = Report.ProgressAsync("budgets", () => Volatile.Read(ref created), null, progress.Token);
            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(from, until, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
            {
                ids[i] = await tenant.CreateBudgetAsync("api_key", KeyOf(i), 1_000m);
                Interlocked.Increment(ref created);
            });
            clock.Stop();
            await progress.CancelAsync();
            await printing;

            // One change at a time, each to a different budget of the org: its latency alone.
            var latencies = new Latencies();
            for (var c = 0; c < changes; c++)
            {
                var i = (int)((long)c * until / changes);
                var started = Stopwatch.GetTimestamp();
                await tenant.PutBudgetAsync(ids[i], "api_key", KeyOf(i), 1_000m + step + c / 1000m);
                latencies.Add(Latencies.Since(started));
            }

            rows.Add([
                until.ToString("N0", CultureInfo.InvariantCulture),
                Report.Number((until - from) / clock.Elapsed.TotalSeconds),
                Report.Ms(latencies.Percentile(0.50)),
                Report.Ms(latencies.Percentile(0.99)),
            ]);
        }

        Report.Table(["budgets in the org", "registrations/s (this step)", "limit change p50 ms", "limit change p99 ms"], rows);
        return 0;
    }

    private static string KeyOf(int i) => string.Create(CultureInfo.InvariantCulture, $"k-{i:D6}");
}
