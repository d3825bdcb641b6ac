using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>
/// Sustained durable ingest end to end: simulated gateways post AISIX batches over mTLS and count
/// an event once its 200 (which the cluster sends only after the ledger commit) arrives. The
/// baseline, in the same run, does the same parsing and ledger appends without the cluster.
/// </summary>
internal static class IngestBenchmark
{
    public const string Usage =
        "ingest [--store sqlite|postgres] [--silos 1] [--gateways 16] [--batch 100] [--duration 30] [--warmup 5] [--rate 0 (as fast as acknowledged)] [--keys 1000] [--budgets 0]";

    public static async Task<int> RunAsync(Options options)
    {
        var gateways = options.Int("--gateways", 16);
        var batch = options.Int("--batch", 100);
        var duration = TimeSpan.FromSeconds(options.Number("--duration", 30));
        var warmup = TimeSpan.FromSeconds(options.Number("--warmup", 5));
        var rate = options.Number("--rate", 0);
        var keys = options.Int("--keys", 1000);
        var budgets = options.Int("--budgets", 0);

        await using var cluster = await Cluster.StartAsync(options);
        Console.WriteLine($"ingest: {cluster.Description}; {gateways} gateways, batches of {batch}, {keys} keys, {budgets} budgets, "
            + (rate > 0 ? $"{rate:N0} events/s offered" : "as fast as acknowledged") + $", {duration.TotalSeconds:N0} s after {warmup.TotalSeconds:N0} s warm-up");

        Console.WriteLine("baseline (parse + validate + price + ledger append in this process, no cluster):");
        var baselineCpu = CpuUse.Now(cluster);
        var baseline = await IngestBaseline.RunAsync(cluster, gateways, batch, keys, warmup, duration);
        baselineCpu = CpuUse.Now(cluster) - baselineCpu;

        using var tenant = await Tenant.CreateAsync(cluster);
        if (budgets > 0)
        {
            // An org-wide budget every event counts toward, and per-key budgets; limits far above the run's spend.
            await tenant.CreateBudgetAsync("org", tenant.OrgId, 1_000_000_000m, "warn_only");
            await tenant.CreateBudgetsAsync(budgets - 1, i => ("api_key", $"k-{i:D5}", 1_000_000m));
        }

        var fleet = new Fleet(await tenant.IssueGatewaysAsync(gateways, "dp-load"), "k", keys, batch);
        Console.WriteLine("cluster warm-up:");
        await RunWithProgressAsync(fleet, warmup, rate);
        Console.WriteLine("cluster:");
        var cpuBefore = CpuUse.Now(cluster);
        var ours = await RunWithProgressAsync(fleet, duration, rate);
        var cpu = CpuUse.Now(cluster) - cpuBefore;

        Console.WriteLine("floor (the same gateways and bodies to a bare HTTPS + mTLS listener in this process):");
        var (floor, floorCpu) = await RunFloorAsync(fleet, warmup, duration, rate);

        Report.Table(
            ["run", "events", "seconds", "events/s", "ack p50 ms", "ack p99 ms", "ack max ms", "failed batches"],
            [
                Row("cluster: " + cluster.Description, ours),
                Row("baseline: parse + ledger, no cluster", baseline),
                Row("floor: HTTPS + mTLS echo, no work", floor),
            ]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio (cluster / baseline events/s): {ours.EventsPerSecond / baseline.EventsPerSecond:N2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio (cluster / floor events/s): {ours.EventsPerSecond / floor.EventsPerSecond:N2}"));
        Console.WriteLine(cpu.Per(ours.Events, "event"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"floor CPU per event (server and load generator, one process): {floorCpu / floor.Events * 1e6:N1} µs"));
        // The baseline's process does the generating too; its warm-up is included (same work per event).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"baseline CPU per event (generation included): {(baselineCpu.LoadGenerator + baselineCpu.Database) / (baseline.Events * (warmup + duration) / duration) * 1e6:N1} µs"));
        if (fleet.LastFailure is { } failure)
        {
            Console.WriteLine("last failure: " + failure);
        }

        return 0;
    }

    /// <summary>The fleet's gateways (certificates, connections, bodies) against <see cref="TransportFloor"/>: warm-up, then the measured run and this process's CPU in it.</summary>
    private static async Task<(FleetResult Result, double CpuSeconds)> RunFloorAsync(Fleet fleet, TimeSpan warmup, TimeSpan duration, double rate)
    {
        await using var floor = await TransportFloor.StartAsync(fleet.Gateways[0].Ca);
        var gateways = fleet.Gateways.Select(gateway => gateway.Toward(floor.Address, floor.Ca)).ToArray();
        try
        {
            var toFloor = fleet.With(gateways);
            await RunWithProgressAsync(toFloor, warmup, rate);
            var before = Cpu.ThisProcessSeconds();
            var result = await RunWithProgressAsync(toFloor, duration, rate);
            return (result, Cpu.ThisProcessSeconds() - before);
        }
        finally
        {
            foreach (var gateway in gateways)
            {
                gateway.Dispose();
            }
        }
    }

    /// <summary>One fleet run with the progress line.</summary>
    public static async Task<FleetResult> RunWithProgressAsync(Fleet fleet, TimeSpan duration, double rate, CancellationToken cancellationToken = default)
    {
        using var progress = new CancellationTokenSource();
        var printing = Report.ProgressAsync("events", () => fleet.Events, () => $"failed batches {fleet.Failures}", progress.Token);
        var result = await fleet.RunAsync(duration, rate, cancellationToken);
        await progress.CancelAsync();
        await printing;
        return result;
    }

    private static string[] Row(string name, FleetResult result) =>
    [
        name,
        Report.Number(result.Events),
        result.Seconds.ToString("N1", CultureInfo.InvariantCulture),
        Report.Number(result.EventsPerSecond),
        Report.Ms(result.Acks.Percentile(0.50)),
        Report.Ms(result.Acks.Percentile(0.99)),
        Report.Ms(result.Acks.Percentile(1.0)),
        Report.Number(result.Failures),
    ];
}
