using System.Diagnostics;
using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// How quickly an exhausted hard-stop budget is enforced, under ingest load: for each budget, the
/// time from the acknowledgement of the event that crosses its limit until (a) <c>budget_check</c>
/// for its key answers deny and (b) a subscribed gateway has received <c>budget.exceeded</c>.
/// A signal that is already there when the acknowledgement arrives counts as 0 ms.
/// </summary>
internal static class PropagationBenchmark
{
    public const string Usage =
        "propagation [--store sqlite|postgres] [--silos 1] [--budgets 200] [--parallel 4] [--load-rate 20000] [--gateways 8] [--batch 100]";

    public static async Task<int> RunAsync(Options options)
    {
        var budgets = options.Int("--budgets", 200);
        var parallel = options.Int("--parallel", 4);
        var loadRate = options.Number("--load-rate", 20_000);
        var gateways = options.Int("--gateways", 8);
        var batch = options.Int("--batch", 100);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"propagation: {cluster.Description}; {budgets} hard-stop budgets crossed {parallel} at a time "
            + $"under {loadRate:N0} events/s of background load from {gateways} gateways");
        using var tenant = await Tenant.CreateAsync(cluster);
        await tenant.RegisterKeysAsync(Enumerable.Range(0, budgets).Select(Key));
        var ids = await tenant.CreateBudgetsAsync(budgets, i => ("api_key", Key(i), 1.00m));
        var probe = (await tenant.IssueGatewaysAsync(1, "dp-probe"))[0];
        var subscriber = (await tenant.IssueGatewaysAsync(1, "dp-subscriber"))[0];
        await using var pushes = await BudgetEvents.SubscribeAsync(subscriber);

        var fleet = new Fleet(await tenant.IssueGatewaysAsync(gateways, "dp-load"), "k", 1000, batch);
        using var stopLoad = new CancellationTokenSource();
        var load = loadRate > 0
            ? IngestBenchmark.RunWithProgressAsync(fleet, TimeSpan.FromHours(1), loadRate, stopLoad.Token)
            : Task.FromResult<FleetResult?>(null)!;
        await Task.Delay(TimeSpan.FromSeconds(3)); // the load reaches its rate first

        var mix = new EventMix("p", budgets, seed: 7);
        var deny = new Latencies();
        var push = new Latencies();
        var ack = new Latencies();
        var atAck = 0;
        await Parallel.ForAsync(0, budgets, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, cancellationToken) =>
        {
            var key = Key(i);
            var sent = Stopwatch.GetTimestamp();
            var (status, answer) = await probe.PostTelemetryAsync(mix.Priced(key, 1.50m), cancellationToken);
            var acknowledged = Stopwatch.GetTimestamp();
            if (status != 200)
            {
                throw new InvalidOperationException($"the crossing event for {key} answered {status}: {answer}");
            }

            ack.Add(Stopwatch.GetElapsedTime(sent, acknowledged).TotalMilliseconds);
            // The gateway knows once the deny answer is back: measured to the end of that check.
            var last = "";
            var (denied, checks) = await UntilAsync(async () =>
            {
                last = (await probe.BudgetCheckAsync(key, cancellationToken)).Body;
                return last.Contains("\"allow\":false", StringComparison.Ordinal);
            }, () => $"budget_check for {key} still answers {last} after the crossing event was acknowledged with {answer}");
            deny.Add(Stopwatch.GetElapsedTime(acknowledged, denied).TotalMilliseconds);
            if (checks == 1)
            {
                Interlocked.Increment(ref atAck);
            }

            var arrived = await pushes.ExceededAsync(ids[i]);
            push.Add(Math.Max(0, Stopwatch.GetElapsedTime(acknowledged, arrived).TotalMilliseconds));
        });

        await stopLoad.CancelAsync();
        var loadResult = await load;
        Report.Table(
            ["measure", "samples", "p50 ms", "p99 ms", "max ms"],
            [
                Report.Percentiles("ack of the crossing event (its own POST)", ack, 0.50, 0.99, 1.0),
                Report.Percentiles("ack -> budget_check denies", deny, 0.50, 0.99, 1.0),
                Report.Percentiles("ack -> SSE budget.exceeded received", push, 0.50, 0.99, 1.0),
                .. loadResult is null ? Array.Empty<string[]>() : [Report.Percentiles($"background load ack ({loadResult.EventsPerSecond:N0} events/s)", loadResult.Acks, 0.50, 0.99, 1.0)],
            ]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"budget_check denied at the first check after the ack: {atAck} of {budgets}"));
        return 0;
    }

    private static string Key(int i) => string.Create(CultureInfo.InvariantCulture, $"p-{i:D5}");

    /// <summary>Polls until the condition holds; returns when the check that saw it ended, and how many checks it took.</summary>
    private static async Task<(long At, int Checks)> UntilAsync(Func<Task<bool>> condition, Func<string> failure)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 30);
        for (var checks = 1; ; checks++)
        {
            if (await condition())
            {
                return (Stopwatch.GetTimestamp(), checks);
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("not enforced within 30 s: " + failure());
            }

            await Task.Yield();
        }
    }
}
