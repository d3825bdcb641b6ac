using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// Memory per active budget: organisations with their budgets are created through the admin API
/// in steps, every budget then receives spend (one priced event on its key), and the silo's
/// resident memory is read after each step. The slope between steps is what one more active
/// budget costs in that process: its grain and state, the decision view's entry, its share of the
/// org's index and catalogs (and of its org, environment and gateway grains). With
/// <c>--gateways</c>, the same for active gateways afterwards.
/// </summary>
internal static class MemoryBenchmark
{
    public const string Usage = "memory [--budgets 100000] [--orgs 1000] [--steps 4] [--parallel 8] [--gateways 0] [--gateways-per-env 20]";

    public static async Task<int> RunAsync(Options options)
    {
        var budgets = options.Int("--budgets", 100_000);
        var orgs = Math.Clamp(options.Int("--orgs", 1000), 1, budgets);
        var steps = Math.Clamp(options.Int("--steps", 4), 1, orgs);
        var parallel = options.Int("--parallel", 8);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"memory: {cluster.Description}; {budgets:N0} api_key budgets over {orgs:N0} orgs, in {steps} steps, each budget with spend");
        await OnboardAsync(cluster, "warm-up", 0, 10); // JIT and pools before the first reading
        var rows = new List<string[]>();
        var first = await SettledResidentBytesAsync(cluster);
        var previous = first;
        rows.Add(["0", Mib(first), "-", "-"]);
        var created = 0;
        var clock = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            var (fromOrg, untilOrg) = (orgs * (step - 1) / steps, orgs * step / steps);
            var before = created;
            using var progress = new CancellationTokenSource();
            var printing = Report.ProgressAsync("budgets", () => Volatile.Read(ref created), null, progress.Token);
            await Parallel.ForAsync(fromOrg, untilOrg, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (org, _) =>
            {
                var (start, end) = (budgets * org / orgs, budgets * (org + 1) / orgs);
                await OnboardAsync(cluster, string.Create(CultureInfo.InvariantCulture, $"m{org:D5}"), start, end - start, () => Interlocked.Increment(ref created));
            });
            await progress.CancelAsync();
            await printing;

            var now = await SettledResidentBytesAsync(cluster);
            rows.Add([
                created.ToString("N0", CultureInfo.InvariantCulture),
                Mib(now),
                Bytes((now - previous) / (double)(created - before)),
                Bytes((now - first) / (double)created),
            ]);
            previous = now;
        }

        Report.Table(["active budgets", "silo RSS MiB", "bytes/budget (this step)", "bytes/budget (since 0)"], rows);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"created and charged {created:N0} budgets in {clock.Elapsed.TotalSeconds:N0} s ({created / clock.Elapsed.TotalSeconds:N0}/s)"));

        var gateways = options.Int("--gateways", 0);
        if (gateways > 0)
        {
            await MeasureGatewaysAsync(cluster, gateways, Math.Clamp(options.Int("--gateways-per-env", 20), 1, gateways), steps, parallel);
        }

        return 0;
    }

    /// <summary>
    /// Memory per active gateway: environments (each of its own org) with their gateways, each
    /// gateway with its certificate and one acknowledged batch (so its grain is active with its
    /// totals, catalog and budget router), read after each step like the budgets above.
    /// </summary>
    private static async Task MeasureGatewaysAsync(Cluster cluster, int gateways, int perEnvironment, int steps, int parallel)
    {
        var environments = (gateways + perEnvironment - 1) / perEnvironment;
        steps = Math.Clamp(steps, 1, environments);
        Console.WriteLine($"gateways: {environments * perEnvironment:N0} gateways, {perEnvironment} per environment (each environment in an org of its own), in {steps} steps");
        var first = await SettledResidentBytesAsync(cluster);
        var previous = first;
        var rows = new List<string[]> { new[] { "0", Mib(first), "-", "-" } };
        var active = 0;
        for (var step = 1; step <= steps; step++)
        {
            var before = active;
            using var progress = new CancellationTokenSource();
            var printing = Report.ProgressAsync("gateways", () => Volatile.Read(ref active), null, progress.Token);
            await Parallel.ForAsync(environments * (step - 1) / steps, environments * step / steps, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (environment, _) =>
            {
                using var tenant = await Tenant.CreateAsync(cluster, string.Create(CultureInfo.InvariantCulture, $"g{environment:D5}"), models: false);
                var mix = new EventMix("k-g" + environment, 1, environment);
                foreach (var gateway in await tenant.IssueGatewaysAsync(perEnvironment, "dp"))
                {
                    using (gateway)
                    {
                        await SpendAsync(gateway, mix, 0, 1);
                    }

                    Interlocked.Increment(ref active);
                }
            });
            await progress.CancelAsync();
            await printing;

            var now = await SettledResidentBytesAsync(cluster);
            rows.Add([
                active.ToString("N0", CultureInfo.InvariantCulture),
                Mib(now),
                Bytes((now - previous) / (double)(active - before)),
                Bytes((now - first) / (double)active),
            ]);
            previous = now;
        }

        Report.Table(["active gateways", "silo RSS MiB", "bytes/gateway (this step)", "bytes/gateway (since 0)"], rows);
    }

    /// <summary>An org with its environment, a gateway, and <paramref name="count"/> budgets, each charged once.</summary>
    private static async Task OnboardAsync(Cluster cluster, string name, int seed, int count, Action? created = null)
    {
        using var tenant = await Tenant.CreateAsync(cluster, name, models: false);
        var gateway = (await tenant.IssueGatewaysAsync(1, "dp"))[0];
        using (gateway)
        {
            var mix = new EventMix("k-" + name, count, seed);
            for (var i = 0; i < count; i++)
            {
                await tenant.CreateBudgetAsync("api_key", mix.Key(i), 1_000_000m);
                created?.Invoke();
            }

            await SpendAsync(gateway, mix, 0, count);
        }
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
