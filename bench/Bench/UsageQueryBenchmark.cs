using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.TestSupport;
using Npgsql;

namespace BudgetCluster.Bench;

/// <summary>
/// Usage views over a month of a busy organisation: loads AISIX-shaped ledger rows spread over the
/// last <c>--days</c> days straight into the store the running silo reads (through the product's own
/// ledger writer, a second writer on the same file or database, so rollups are written exactly as
/// ingest writes them: in its group commits, in batches of 1,000 from several concurrent appenders),
/// then times DESIGN.md's three queries through the admin API: <c>--days</c> × 1d grouped by model,
/// 24 × 1h grouped by API key, 60 × 1m ungrouped. Each appender replays its share of the month in
/// time order (<c>--order time</c>, as gateways send it); <c>--order random</c> scatters every
/// event over the month instead (all of them late events, the rollup writer's worst case).
/// </summary>
internal static class UsageQueryBenchmark
{
    public const string Usage =
        "usage-query [--store sqlite|postgres] [--events 10000000] [--days 31] [--keys 50] [--gateways 4] [--order time|random] [--repeat 100] [--query-seconds 120] [--rounds 2]";

    private const int BatchSize = 1000;
    private const int Appenders = 8;

    private static readonly (string Id, string? ProviderKey, ModelPricing Pricing)[] Models =
    [
        ("m-gpt-4o", null, new ModelPricing { InputPerMTok = 2.50m, OutputPerMTok = 10m, CachedInputPerMTok = 1.25m }),
        ("m-claude-primary", "pk-anthropic", new ModelPricing { InputPerMTok = 3m, OutputPerMTok = 15m }),
        ("m-claude-secondary", null, new ModelPricing { InputPerMTok = 3m, OutputPerMTok = 15m, CacheWritePerMTok = 3.75m, CacheReadPerMTok = 0.30m }),
    ];

    public static async Task<int> RunAsync(Options options)
    {
        var events = options.Int("--events", 10_000_000);
        var days = options.Int("--days", 31);
        var keys = options.Int("--keys", 50);
        var gateways = options.Int("--gateways", 4);
        var repeat = options.Int("--repeat", 100);
        var querySeconds = options.Number("--query-seconds", 120);
        var rounds = options.Int("--rounds", 2);
        var ordered = options.Text("--order", "time") switch
        {
            "time" => true,
            "random" => false,
            _ => throw new ArgumentException("--order is time or random"),
        };

        await using var cluster = await Cluster.StartAsync(options);
        using var tenant = await Tenant.CreateAsync(cluster);
        Console.WriteLine($"usage-query: {cluster.Description}; {events:N0} events over {days} days, {keys} keys, {gateways} gateways, {Models.Length} models, {(ordered ? "each appender in time order" : "times at random")}");

        var now = TestClock.Now;
        var loaded = Stopwatch.StartNew();
        await using (var ledger = OpenLedger(cluster))
        {
            await LoadAsync(ledger, tenant.EnvironmentId, events, days, keys, gateways, ordered, now);
            // The loader's fold loop stored most as it went; what it still holds is stored now, so
            // the silo's views find every row in the rollups.
            var rest = Stopwatch.StartNew();
            var folded = await ledger.FoldAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the last fold stored {folded:N0} rows in {rest.Elapsed.TotalSeconds:N1} s"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loaded {events:N0} events in {loaded.Elapsed.TotalSeconds:N0} s ({events / loaded.Elapsed.TotalSeconds:N0} events/s through the ledger writer, rollups folded and stored included)"));

        using var admin = new HttpClient { BaseAddress = cluster.AdminUri, Timeout = TimeSpan.FromSeconds(120) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token);
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var hour = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        var minute = hour.AddMinutes(now.UtcDateTime.Minute);
        var queries = new (string Name, string Query)[]
        {
            ($"{days} x 1d by model", Query(tenant.OrgId, today.AddDays(-days + 1), today.AddDays(1), "1d", "model")),
            ("24 x 1h by api_key", Query(tenant.OrgId, hour.AddHours(-23), hour.AddHours(1), "1h", "api_key")),
            ("60 x 1m", Query(tenant.OrgId, minute.AddMinutes(-59), minute.AddMinutes(1), "1m", null)),
        };

        for (var round = 1; round <= rounds; round++)
        {
            var rows = new List<string[]>();
            foreach (var (name, query) in queries)
            {
                var (latencies, results) = await TimeAsync(admin, query, repeat, TimeSpan.FromSeconds(querySeconds));
                rows.Add([name, results.ToString("N0", CultureInfo.InvariantCulture), latencies.Count.ToString(CultureInfo.InvariantCulture),
                    F(latencies.Percentile(0.5)), F(latencies.Percentile(0.99)), F(latencies.Percentile(1))]);
            }

            Console.WriteLine($"round {round} of {rounds}:");
            Report.Table(["query", "results", "requests", "p50 ms", "p99 ms", "max ms"], rows);
        }

        return 0;
    }

    private static string F(double value) => value.ToString("N1", CultureInfo.InvariantCulture);

    private static string Query(string orgId, DateTimeOffset from, DateTimeOffset to, string width, string? groupBy) =>
        $"/api/v1/orgs/{orgId}/usage?starting_at={Instant(from)}&ending_at={Instant(to)}&bucket_width={width}&limit=10000"
        + (groupBy is null ? "" : $"&group_by={groupBy}");

    private static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// One warm-up, then <paramref name="repeat"/> timed requests, one after another, or fewer when
    /// they take longer than <paramref name="limit"/> in all (at least five are timed).
    /// </summary>
    private static async Task<(Latencies Latencies, int Results)> TimeAsync(HttpClient admin, string query, int repeat, TimeSpan limit)
    {
        var results = 0;
        var latencies = new Latencies();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i <= repeat && (i <= 5 || clock.Elapsed < limit); i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await admin.GetAsync(query);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET {query} answered {(int)response.StatusCode}: {body}");
            }

            if (i == 0)
            {
                using var document = System.Text.Json.JsonDocument.Parse(body);
                results = document.RootElement.GetProperty("data").EnumerateArray().Sum(b => b.GetProperty("results").GetArrayLength());
                continue;
            }

            latencies.Add(Latencies.Since(started));
        }

        return (latencies, results);
    }

    private static GroupCommitLedger OpenLedger(Cluster cluster) => cluster.Store == "sqlite"
        ? new SqliteUsageLedger($"Data Source={Path.Combine(cluster.DataDirectory, "ledger.db")};Default Timeout=60")
        : new PostgresUsageLedger(NpgsqlDataSource.Create(cluster.PostgresConnectionString!));

    /// <summary>
    /// Appends <paramref name="events"/> priced rows, occurred uniformly over the last
    /// <paramref name="days"/> days, from <see cref="Appenders"/> concurrent appenders. The
    /// <paramref name="gateways"/> are shared: appender <c>a</c> numbers its events of a gateway
    /// <c>a + 1</c>, <c>a + 1 + Appenders</c>, ..., so no two appenders write the same sequence.
    /// When <paramref name="ordered"/>, each appender walks its share forward through the month.
    /// </summary>
    private static async Task LoadAsync(
        GroupCommitLedger ledger, string environmentId, int events, int days, int keys, int gateways, bool ordered, DateTimeOffset now)
    {
        var span = TimeSpan.FromDays(days).Ticks;
        var progress = 0L;
        using var stop = new CancellationTokenSource();
        var report = Report.ProgressAsync("events", () => Interlocked.Read(ref progress), null, stop.Token);
        await Parallel.ForAsync(0, Appenders, new ParallelOptions { MaxDegreeOfParallelism = Appenders }, async (appender, cancellationToken) =>
        {
            var random = new Random(appender);
            var sequences = new long[gateways];
            var share = events / Appenders + (appender < events % Appenders ? 1 : 0);
            for (var done = 0; done < share; done += BatchSize)
            {
                var count = Math.Min(BatchSize, share - done);
                var gateway = random.Next(gateways);
                var dpId = string.Create(CultureInfo.InvariantCulture, $"dp-hist-{gateway:D2}");
                var batch = new List<LedgerEntry>(count);
                for (var i = 0; i < count; i++)
                {
                    var ago = ordered ? 1 - ((done + i + random.NextDouble()) / share) : random.NextDouble();
                    var occurred = now.AddTicks(-(long)(ago * span));
                    var sequence = (sequences[gateway]++ * Appenders) + appender + 1;
                    batch.Add(Entry(random, environmentId, dpId, sequence, occurred, now, keys, $"h{appender}-{done + i}"));
                }

                await ledger.AppendAsync(batch, cancellationToken);
                Interlocked.Add(ref progress, count);
            }
        });
        await stop.CancelAsync();
        await report;
    }

    internal static LedgerEntry Entry(Random random, string environmentId, string dpId, long sequence, DateTimeOffset occurred, DateTimeOffset received, int keys, string requestId)
    {
        var (modelId, providerKey, pricing) = Models[random.Next(Models.Length)];
        var key = random.Next(keys);
        var roll = random.Next(100);
        var status = roll switch { < 85 => 200, < 87 => 429, < 89 => 429, < 94 => 503, _ => 400 };
        var prompt = status == 200 ? random.Next(50, 4000) : 0;
        var usage = new UsageEvent
        {
            RequestId = requestId,
            AttemptIndex = roll is >= 89 and < 94 ? 0 : random.Next(100) < 10 ? 1 : 0,
            OccurredAt = occurred,
            ModelId = modelId,
            ApiKeyId = string.Create(CultureInfo.InvariantCulture, $"k-{key:D3}"),
            PromptTokens = prompt,
            CompletionTokens = status == 200 ? random.Next(10, 800) : 0,
            CachedPromptTokens = status == 200 && random.Next(4) == 0 ? prompt / 2 : 0,
            StatusCode = status,
            UpstreamLatencyMs = (long)Math.Exp(5 + (random.NextDouble() * 3)),
            UpstreamTtftMs = random.Next(10) < 6 ? (long)Math.Exp(4 + (random.NextDouble() * 2.5)) : null,
            ReportedCostUsd = 0m,
            AttemptKind = random.Next(10) == 0 ? "fallback" : "initial",
            ErrorClass = roll switch { >= 85 and < 87 => "billing_error", >= 87 and < 94 => "upstream_status", _ => null },
        };
        var model = new ModelDefinition(environmentId, modelId, providerKey, pricing);
        var binding = new ApiKeyBinding(environmentId, $"team-{key % 5}", $"user-{key % 17}");
        return LedgerEntry.From(usage, UsagePricer.Price(usage, pricing), environmentId, dpId, sequence, received, ImmutableArray<BudgetAttribution>.Empty, model, model.PriceAt(occurred), binding);
    }
}
