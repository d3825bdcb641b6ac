using System.Globalization;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.Silo.Tests.Postgres;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Consistency;

/// <summary>
/// The two halves of the product agree to the cent: after random traffic (several gateways and
/// environments, keys bound and unbound, models priced, unpriced and unknown, gateway-set costs,
/// late events and replayed batches), every budget's <c>spent_usd</c> equals the usage view summed
/// over its scope and current period in its own zone and the cost of the posted events of that scope
/// and period as the test prices them, every gateway's totals equal the usage view
/// and the export, and the export holds each accepted event once. Run against each store by a subclass.
/// </summary>
/// <typeparam name="TFixture">The silo in one storage mode.</typeparam>
public abstract class UsageConsistencyContract<TFixture>(TFixture silo)
    where TFixture : SiloFixture
{
    /// <summary>Until every event acknowledged so far is readable through the export (at once on SQLite).</summary>
    protected virtual Task ExportCaughtUpAsync() => Task.CompletedTask;

    [Fact]
    public async Task RandomTraffic_BudgetsGatewaysUsageViewAndExport_AgreeExactly()
    {
        using var world = await silo.OnboardAsync();
        var (env1, env2) = (world.EnvironmentId, "env2-" + world.Suffix);
        await world.Admin.PutOkAsync($"/api/v1/environments/{env2}", $$"""{"org_id":"{{world.OrgId}}","name":"Staging"}""");
        using var west = await TestWorld.IssueGatewayAsync(silo, world.Admin, env1, "dp-west-2");
        using var staging = await TestWorld.IssueGatewayAsync(silo, world.Admin, env2, "dp-stage-1");
        await world.Admin.PutOkAsync($"/api/v1/models/m-stage-{world.Suffix}",
            $$$"""{"environment_id":"{{{env2}}}","name":"stage","provider_key_id":"pk-anthropic","pricing":{"input_per_mtok":"0.7","output_per_mtok":"2.1"}}""");
        var keys = new (string Key, string Environment, string Team, string User)[]
        {
            ($"k-a-{world.Suffix}", env1, "t-1", "u-1"),
            ($"k-b-{world.Suffix}", env1, "t-1", "u-2"),
            ($"k-c-{world.Suffix}", env2, "t-2", "u-1"),
        };
        foreach (var (key, environment, team, user) in keys)
        {
            await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{environment}}","team_id":"{{team}}","user_id":"{{user}}"}""");
        }

        // What the test knows of the catalog: each environment's priced models (API.md §5) and their provider keys.
        var prices = new Dictionary<(string Environment, string Model), (decimal Input, decimal Output, string? ProviderKey)>
        {
            [(env1, $"m-gpt-4o-{world.Suffix}")] = (2.50m, 10m, null),
            [(env1, $"m-claude-primary-{world.Suffix}")] = (3m, 15m, "pk-anthropic"),
            [(env1, $"m-claude-secondary-{world.Suffix}")] = (3m, 15m, null),
            [(env2, $"m-stage-{world.Suffix}")] = (0.7m, 2.1m, "pk-anthropic"),
        };

        // A key counts toward its own, its team's and its member's budgets only from its own environment (API.md §3).
        bool BoundAs(Sent sent, Func<(string Key, string Environment, string Team, string User), bool> binding) =>
            keys.Any(k => k.Key == sent.ApiKey && k.Environment == sent.Environment && binding(k));

        var budgets = new (string Scope, string Ref, string Period, string Zone, string Width, string Filter, Func<Sent, bool> Counts)[]
        {
            ("org", world.OrgId, "month", "UTC", "1mo", "", _ => true),
            ("environment", env1, "day", "Asia/Kathmandu", "1d", $"&environment_id={env1}", e => e.Environment == env1),
            ("api_key", keys[0].Key, "week", "America/St_Johns", "1w", $"&api_key_id={keys[0].Key}&environment_id={env1}", e => BoundAs(e, k => k.Key == keys[0].Key)),
            ("team", "t-1", "month", "Europe/Berlin", "1mo", "&team_id=t-1", e => BoundAs(e, k => k.Team == "t-1")),
            ("member", "u-1", "day", "UTC", "1d", "&member_id=u-1", e => BoundAs(e, k => k.User == "u-1")),
            ("provider_key", "pk-anthropic", "month", "Australia/Lord_Howe", "1mo", "&provider_key_id=pk-anthropic",
                e => prices.TryGetValue((e.Environment, e.Model), out var price) && price.ProviderKey == "pk-anthropic"),
        };
        var ids = new List<string>();
        foreach (var (scope, reference, period, zone, _, _, _) in budgets)
        {
            var created = await world.Admin.PostOkAsync("/api/v1/budgets", $$"""
                {"org_id":"{{world.OrgId}}","name":"{{scope}}","scope":{"type":"{{scope}}","ref":"{{reference}}"},
                 "limit_usd":"1000000","period":"{{period}}","mode":"warn_only","timezone":"{{zone}}"}
                """);
            ids.Add((string)created["id"]!);
        }

        var random = new Random(20261201);
        var gateways = new[] { world.Gateway, west, staging };
        var models = new[] { $"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}", $"m-claude-secondary-{world.Suffix}", $"m-stage-{world.Suffix}", "", "m-unknown" };
        var keyChoices = keys.Select(k => k.Key).Append($"k-unbound-{world.Suffix}").Append("").ToArray();
        var sent = new List<(GatewayClient Gateway, string Body)>();
        var accepted = new List<Sent>();
        for (var batch = 0; batch < 12; batch++)
        {
            var gateway = gateways[random.Next(gateways.Length)];
            var events = Enumerable.Range(0, 25).Select(i =>
            {
                // Mostly now; some late by up to three days (earlier periods of the day and week budgets).
                var occurred = random.Next(4) == 0 ? TestClock.Now.AddMinutes(-random.Next(1, 3 * 24 * 60)) : TestClock.Now;
                var cost = random.Next(5) == 0 ? (random.Next(1, 10_000) / 10_000m).ToString(CultureInfo.InvariantCulture) : "0";
                var usage = UsageEvents.Event($"r-{batch}-{i}", occurred, models[random.Next(models.Length)], keyChoices[random.Next(keyChoices.Length)],
                    promptTokens: random.Next(0, 5000), completionTokens: random.Next(0, 900), cost: cost, attemptIndex: random.Next(3) == 0 ? 1 : 0);
                usage["status_code"] = random.Next(10) switch { 0 => 503, 1 => 429, _ => 200 };
                usage["upstream_latency_ms"] = random.Next(1, 20_000);
                return usage;
            }).ToList();
            var body = UsageEvents.Body(events);
            sent.Add((gateway, body));
            Assert.Equal(events.Count, (int)(await gateway.PostTelemetryOkAsync(body))["accepted"]!);
            accepted.AddRange(events.Select(usage => Sent.Of(gateway.EnvironmentId, usage, prices)));
        }

        // Replays change nothing.
        foreach (var (gateway, body) in sent.Where((_, i) => i % 3 == 0))
        {
            var replay = await gateway.PostTelemetryOkAsync(body);
            Assert.Equal(0, (int)replay["accepted"]!);
        }

        for (var i = 0; i < budgets.Length; i++)
        {
            var (scope, _, _, zone, width, filter, counts) = budgets[i];
            var status = await world.Admin.GetOkAsync($"/api/v1/budgets/{ids[i]}/status");
            var usage = await SumUsageAsync(world, $"starting_at={status["period_start"]}&ending_at={status["period_resets_at"]}&bucket_width={width}&time_zone={zone}{filter}");
            var spent = decimal.Parse((string)status["spent_usd"]!, CultureInfo.InvariantCulture);
            Assert.True(spent == usage.Spend, $"{scope} budget: spent_usd {status["spent_usd"]}, usage view {usage.Spend}");

            // Both sides could agree on counting nothing: the sum of the posted events of the scope and period, worked out here, decides.
            var (start, end) = (Instant(status["period_start"]), Instant(status["period_resets_at"]));
            var expected = accepted.Where(e => counts(e) && e.OccurredAt >= start && e.OccurredAt < end).Sum(e => e.Cost);
            Assert.True(expected > 0m, $"{scope} budget: the random traffic priced nothing in its scope and period");
            Assert.True(spent == expected, $"{scope} budget: spent_usd {status["spent_usd"]}, the posted events of its scope and period {expected}");
        }

        await ExportCaughtUpAsync();
        var exported = await ExportAsync(world);
        var allTime = $"starting_at={UsageEvents.Timestamp(new DateTimeOffset(TestClock.Now.UtcDateTime.Date.AddDays(-5), TimeSpan.Zero))}"
            + $"&ending_at={UsageEvents.Timestamp(new DateTimeOffset(TestClock.Now.UtcDateTime.Date.AddDays(2), TimeSpan.Zero))}&bucket_width=1d";
        foreach (var gateway in gateways)
        {
            var detail = await world.Admin.GetOkAsync($"/api/v1/environments/{gateway.EnvironmentId}/gateways/{gateway.DpId}");
            var usage = await SumUsageAsync(world, $"{allTime}&environment_id={gateway.EnvironmentId}&dp_id={gateway.DpId}");
            var rows = exported.Where(e => (string)e["environment_id"]! == gateway.EnvironmentId && (string)e["dp_id"]! == gateway.DpId).ToList();
            var detailSpend = decimal.Parse((string)detail["usage"]!["spend_usd"]!, CultureInfo.InvariantCulture);
            Assert.Equal(detailSpend, usage.Spend);
            Assert.Equal(detailSpend, rows.Sum(e => decimal.Parse((string)e["cost_usd"]!, CultureInfo.InvariantCulture)));
            Assert.Equal((long)detail["telemetry"]!["events_accepted"]!, usage.Attempts);
            Assert.Equal((long)detail["telemetry"]!["events_accepted"]!, rows.Count);
            Assert.Equal((long)detail["usage"]!["requests"]!, usage.Requests);
        }

        Assert.Equal(exported.Count, exported.Select(e => ((string)e["environment_id"]!, (string)e["request_id"]!, (int)e["attempt_index"]!)).Distinct().Count());
    }

    /// <summary>An accepted event as the test posted it, with the cost API.md §5 gives it.</summary>
    private sealed record Sent(string Environment, DateTimeOffset OccurredAt, string Model, string ApiKey, decimal Cost)
    {
        public static Sent Of(
            string environment, JsonObject usage, Dictionary<(string Environment, string Model), (decimal Input, decimal Output, string? ProviderKey)> prices)
        {
            var model = (string)usage["model_id"]!;
            var reported = decimal.Parse((string)usage["cost_usd"]!, CultureInfo.InvariantCulture);
            var cost = reported != 0m ? reported
                : prices.TryGetValue((environment, model), out var price)
                    ? ((long)usage["prompt_tokens"]! * price.Input + (long)usage["completion_tokens"]! * price.Output) / 1_000_000m
                : 0m;
            // The instant as posted: whole seconds.
            return new Sent(environment, Instant(usage["occurred_at"]), model, (string)usage["api_key_id"]!, cost);
        }
    }

    private static DateTimeOffset Instant(JsonNode? value) => DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture);

    /// <summary>The usage view's totals over every bucket, result and page of a query.</summary>
    private static async Task<(decimal Spend, long Attempts, long Requests)> SumUsageAsync(TestWorld world, string query)
    {
        var (spend, attempts, requests) = (0m, 0L, 0L);
        string? page = null;
        do
        {
            var answer = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/usage?{query.Replace("+", "%2B", StringComparison.Ordinal)}"
                + (page is null ? "" : "&page=" + Uri.EscapeDataString(page)));
            foreach (var result in answer["data"]!.AsArray().SelectMany(bucket => bucket!["results"]!.AsArray()))
            {
                spend += decimal.Parse((string)result!["spend_usd"]!, CultureInfo.InvariantCulture);
                attempts += (long)result["attempts"]!;
                requests += (long)result["requests"]!;
            }

            page = (bool)answer["has_more"]! ? (string)answer["next_page"]! : null;
        }
        while (page is not null);
        return (spend, attempts, requests);
    }

    /// <summary>Every exported event of the org, paging by cursor in small pages.</summary>
    private static async Task<List<JsonNode>> ExportAsync(TestWorld world)
    {
        var events = new List<JsonNode>();
        string? cursor = null;
        while (true)
        {
            var page = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/usage-events?limit=37"
                + (cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor)));
            events.AddRange(page["events"]!.AsArray().Select(e => e!));
            cursor = (string)page["next_cursor"]!;
            if (!(bool)page["has_more"]!)
            {
                return events;
            }
        }
    }
}

/// <summary>The agreement on the default store: SQLite files.</summary>
public sealed class SqliteUsageConsistencyTests(SiloFixture silo) : UsageConsistencyContract<SiloFixture>(silo), IClassFixture<SiloFixture>;

/// <summary>The agreement in the production storage mode: ledger, rollups and export in PostgreSQL.</summary>
public sealed class PostgresUsageConsistencyTests(PostgresSiloFixture silo)
    : UsageConsistencyContract<PostgresSiloFixture>(silo), IClassFixture<PostgresSiloFixture>
{
    private readonly PostgresSiloFixture _silo = silo;

    protected override Task ExportCaughtUpAsync() => ExportHorizon.PassedAsync(_silo.ConnectionString);
}
