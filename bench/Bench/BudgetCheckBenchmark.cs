using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// <c>GET /dp/budget_check</c> at a fixed rate over mTLS keep-alive connections, each connection
/// on a schedule. Reported: service time (request sent to answer read) percentiles, and how far
/// the sender fell behind its schedule (when it does, the rate was more than this machine could
/// offer and serve at once). Every check evaluates an org budget and, for most keys, a key budget;
/// a tenth of the key budgets are exceeded, so the deny path is exercised too.
/// </summary>
internal static class BudgetCheckBenchmark
{
    public const string Usage =
        "budget-check [--store sqlite|postgres] [--silos 1] [--rate 20000] [--duration 20] [--warmup 5] [--connections 16] [--keys 2000] [--budgets 1000]";

    public static async Task<int> RunAsync(Options options)
    {
        var rate = options.Number("--rate", 20_000);
        var duration = TimeSpan.FromSeconds(options.Number("--duration", 20));
        var warmup = TimeSpan.FromSeconds(options.Number("--warmup", 5));
        var connections = options.Int("--connections", 16);
        var keys = options.Int("--keys", 2000);
        var budgets = Math.Min(options.Int("--budgets", 1000), keys);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"budget-check: {cluster.Description}; {rate:N0} checks/s over {connections} connections, "
            + $"{keys:N0} keys, {budgets:N0} key budgets + 1 org budget, {duration.TotalSeconds:N0} s after {warmup.TotalSeconds:N0} s warm-up");
        using var tenant = await Tenant.CreateAsync(cluster);
        var mix = new EventMix("c", keys, seed: 3);
        await tenant.RegisterKeysAsync(Enumerable.Range(0, keys).Select(mix.Key));
        await tenant.CreateBudgetAsync("org", tenant.OrgId, 1_000_000_000m);
        await tenant.CreateBudgetsAsync(budgets, i => ("api_key", mix.Key(i), 1.00m));
        var clients = await tenant.IssueGatewaysAsync(connections, "dp-check", connectionsEach: 1);
        for (var i = 0; i < budgets; i += 10)
        {
            var (status, answer) = await clients[0].PostTelemetryAsync(mix.Priced(mix.Key(i), 2m));
            if (status != 200)
            {
                throw new InvalidOperationException($"exceeding {mix.Key(i)} answered {status}: {answer}");
            }
        }

        Console.WriteLine("warm-up:");
        await MeasureAsync(clients, mix, keys, rate, warmup);
        Console.WriteLine("measured:");
        var cpuBefore = CpuUse.Now(cluster);
        var result = await MeasureAsync(clients, mix, keys, rate, duration);
        var cpu = CpuUse.Now(cluster) - cpuBefore;

        Report.Table(
            ["measure", "samples", "p50 ms", "p99 ms", "p99.9 ms", "max ms"],
            [
                Report.Percentiles("service time (sent -> answered)", result.Service, 0.50, 0.99, 0.999, 1.0),
                Report.Percentiles("behind schedule when sent", result.Lag, 0.50, 0.99, 0.999, 1.0),
            ]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"offered {rate:N0}/s, answered {result.Checks / result.Seconds:N0}/s ({result.Denied:N0} denies, {result.Failures:N0} non-200)"));
        Console.WriteLine(cpu.Per(result.Checks, "check"));
        return 0;
    }

    private static async Task<CheckResult> MeasureAsync(Gateway[] clients, EventMix mix, int keys, double rate, TimeSpan duration)
    {
        var service = new Latencies();
        var lag = new Latencies();
        long checks = 0, denied = 0, failures = 0;
        var interval = TimeSpan.FromSeconds(clients.Length / rate);
        using var progress = new CancellationTokenSource();
        var printing = Report.ProgressAsync("checks", () => Interlocked.Read(ref checks), null, progress.Token);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var random = new Random(c);
            var next = interval * c / clients.Length;
            while (next < duration)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait).ConfigureAwait(false);
                }

                var sent = clock.Elapsed;
                lag.Add(Math.Max(0, (sent - next).TotalMilliseconds));
                next += interval;
                var (status, body) = await client.BudgetCheckAsync(mix.Key(random.Next(keys))).ConfigureAwait(false);
                service.Add((clock.Elapsed - sent).TotalMilliseconds);
                Interlocked.Increment(ref checks);
                if (status != 200)
                {
                    Interlocked.Increment(ref failures);
                }
                else if (body.Contains("\"allow\":false", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref denied);
                }
            }
        })));
        clock.Stop();
        await progress.CancelAsync();
        await printing;
        return new CheckResult(service, lag, checks, denied, failures, clock.Elapsed.TotalSeconds);
    }

    private sealed record CheckResult(Latencies Service, Latencies Lag, long Checks, long Denied, long Failures, double Seconds);
}
