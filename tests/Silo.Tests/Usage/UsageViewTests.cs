using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.Silo.Tests.Postgres;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;
using CsvHelper;

namespace BudgetCluster.Silo.Tests.Usage;

/// <summary>
/// <c>GET /api/v1/orgs/{org_id}/usage</c> through a real silo and data plane: the sums of the
/// posted events, exact, in the buckets of the zone; complete groups over pages; CSV equal to the
/// JSON; a precise 400 or 404 for every bad parameter. Run against each store by a subclass.
/// </summary>
/// <typeparam name="TFixture">The silo in one storage mode.</typeparam>
public abstract class UsageViewContract<TFixture>(TFixture silo)
    where TFixture : SiloFixture
{
    private static readonly TimeZoneInfo Kathmandu = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kathmandu");
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo StJohns = TimeZoneInfo.FindSystemTimeZoneById("America/St_Johns");

    [Fact]
    public async Task Usage_HoursInKathmandu_SumThePostedEventsExactlyPerModel()
    {
        using var world = await silo.OnboardAsync();
        var (hour, events) = await PostMixedTrafficAsync(world);

        var view = await GetAsync(world, $"starting_at={At(hour.AddHours(-3))}&ending_at={At(hour.AddHours(2))}&bucket_width=1h&time_zone=Asia/Kathmandu&group_by=model");

        Assert.Equal(At(hour.AddHours(-3)), (string)view["starting_at"]!);
        Assert.Equal("1h", (string)view["bucket_width"]!);
        Assert.Equal("Asia/Kathmandu", (string)view["time_zone"]!);
        Assert.Equal(["model"], view["group_by"]!.AsArray().Select(g => (string)g!));
        Assert.False((bool)view["has_more"]!);
        Assert.Null(view["next_page"]);
        var asOf = DateTimeOffset.Parse((string)view["as_of"]!, CultureInfo.InvariantCulture);
        var buckets = view["data"]!.AsArray().Select(b => b!.AsObject()).ToList();
        Assert.Equal(5, buckets.Count);
        for (var i = 0; i < buckets.Count; i++)
        {
            var (start, end) = (hour.AddHours(i - 3), hour.AddHours(i - 2));
            Assert.Equal(At(start), (string)buckets[i]["starting_at"]!);
            Assert.Equal(At(end), (string)buckets[i]["ending_at"]!);
            Assert.EndsWith(":15:00Z", (string)buckets[i]["starting_at"]!, StringComparison.Ordinal);
            Assert.Equal(asOf - end > TimeSpan.FromMinutes(15), (bool)buckets[i]["settled"]!);
            var expected = events.Where(e => e.At >= start && e.At < end).GroupBy(e => e.Model).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            var results = buckets[i]["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
            Assert.Equal(expected.Select(g => g.Key.Length == 0 ? null : g.Key), results.Select(r => (string?)r["model_id"]));
            foreach (var (group, result) in expected.Zip(results))
            {
                AssertSums([.. group], result);
                Assert.Equal(
                    ["model_id", "requests", "attempts", "prompt_tokens", "completion_tokens", "cached_prompt_tokens", "cache_creation_tokens",
                     "cache_read_tokens", "reasoning_tokens", "spend_usd", "cache_savings_usd", "cache_hits", "unpriced_attempts", "error_attempts",
                     "budget_denied", "upstream_latency_ms", "ttft_ms"],
                    result.Select(pair => pair.Key));
            }
        }

        // The future bucket is listed, empty; the empty past one too.
        Assert.Empty(buckets[4]["results"]!.AsArray());
        Assert.Empty(buckets[2]["results"]!.AsArray());
    }

    [Fact]
    public async Task Usage_DaysInBerlinFromTheLastOctoberChange_HaveA25HourDayAndSumThePostedEvents()
    {
        using var world = await silo.OnboardAsync();
        var (_, events) = await PostMixedTrafficAsync(world);
        // Events must be recent, a query may reach back: from the day before the last October change up to today, to tomorrow.
        var today = LocalToday(Berlin);
        var change = OctoberChange(today.Year) is var thisYear && thisYear <= today ? thisYear : OctoberChange(today.Year - 1);
        var (first, end) = (change.AddDays(-1), today.AddDays(2));

        var view = await GetAsync(world, $"starting_at={At(LocalMidnight(first, Berlin))}&ending_at={At(LocalMidnight(end, Berlin))}&bucket_width=1d&time_zone=Europe/Berlin&group_by=model");

        var buckets = AssertLocalDays(view, Berlin, first, end, events);
        // From midnight CEST (+02:00) to midnight CET (+01:00): 25 hours.
        var longDay = buckets[1];
        Assert.Equal(first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T22:00:00Z", (string)longDay["starting_at"]!);
        Assert.Equal(change.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T23:00:00Z", (string)longDay["ending_at"]!);
        Assert.Equal(TimeSpan.FromHours(25), Instant(longDay["ending_at"]) - Instant(longDay["starting_at"]));
        Assert.Equal(TimeSpan.FromHours(24), Instant(buckets[0]["ending_at"]) - Instant(buckets[0]["starting_at"]));
    }

    [Fact]
    public async Task Usage_DaysInStJohnsOverAYear_StartAtLocalMidnightAtBothOffsets()
    {
        using var world = await silo.OnboardAsync();
        var (_, events) = await PostMixedTrafficAsync(world);
        var today = LocalToday(StJohns);
        var (first, end) = (today.AddYears(-1), today.AddDays(2));

        var view = await GetAsync(world, $"starting_at={At(LocalMidnight(first, StJohns))}&ending_at={At(LocalMidnight(end, StJohns))}&bucket_width=1d&time_zone=America/St_Johns&group_by=model");

        var buckets = AssertLocalDays(view, StJohns, first, end, events);
        // Local midnight at -03:30 (NST) is 03:30 UTC, at -02:30 (NDT) 02:30 UTC; a year holds both, and the two changes.
        Assert.Equal(
            [TimeSpan.FromHours(2.5), TimeSpan.FromHours(3.5)],
            buckets.Select(b => Instant(b["starting_at"]).UtcDateTime.TimeOfDay).Distinct().Order());
        Assert.Equal(
            [TimeSpan.FromHours(23), TimeSpan.FromHours(24), TimeSpan.FromHours(25)],
            buckets.Select(b => Instant(b["ending_at"]) - Instant(b["starting_at"])).Distinct().Order());
    }

    [Fact]
    public async Task Usage_GroupsAndFilters_SplitTheSameEventsExactly()
    {
        using var world = await silo.OnboardAsync();
        var (hour, events) = await PostMixedTrafficAsync(world);
        // Kathmandu's days start at 18:15 UTC: the traffic may span two.
        var range = $"starting_at={At(Day(hour.AddHours(-3)))}&ending_at={At(Day(hour.AddHours(2)).AddDays(1))}&time_zone=Asia/Kathmandu";
        var whole = await GetAsync(world, range);
        var total = whole["data"]!.AsArray().SelectMany(b => b!["results"]!.AsArray()).Select(r => r!.AsObject()).ToList();
        Assert.Equal(events.Count, total.Sum(r => (long)r["attempts"]!));
        Assert.Equal(events.Sum(e => e.Cost), total.Sum(r => decimal.Parse((string)r["spend_usd"]!, CultureInfo.InvariantCulture)));
        Assert.All(total, r => Assert.Null(r["model_id"]));
        Assert.All(total, r => Assert.False(r.ContainsKey("model_id")));

        var byStatus = await ResultsAsync(world, $"{range}&group_by=status_class,api_key");
        foreach (var group in events.GroupBy(e => (StatusClass(e.Status), e.ApiKey)))
        {
            var results = byStatus.Where(r => (string)r["status_class"]! == group.Key.Item1 && (string)r["api_key_id"]! == group.Key.ApiKey).ToList();
            Assert.Equal(group.Count(), results.Sum(r => (long)r["attempts"]!));
        }

        Assert.Equal(events.Count, byStatus.Sum(r => (long)r["attempts"]!));

        var filtered = await ResultsAsync(world, $"{range}&api_key_id=k-2&model_id=m-gpt-4o-{world.Suffix}&model_id=&environment_id={world.EnvironmentId}&dp_id=dp-east-1");
        var matching = events.Where(e => e.ApiKey == "k-2" && (e.Model == $"m-gpt-4o-{world.Suffix}" || e.Model.Length == 0)).ToList();
        Assert.NotEmpty(matching);
        Assert.Equal(matching.Count, filtered.Sum(r => (long)r["attempts"]!));
        Assert.Equal(matching.Sum(e => e.Cost), filtered.Sum(r => decimal.Parse((string)r["spend_usd"]!, CultureInfo.InvariantCulture)));
        Assert.Empty(await ResultsAsync(world, $"{range}&dp_id=dp-elsewhere"));
    }

    [Fact]
    public async Task Usage_2500ApiKeysWithLimit1000_ComeInThreePagesWithNothingLostOrDoubled()
    {
        using var world = await silo.OnboardAsync();
        var keys = Enumerable.Range(0, 2500).Select(i => $"key-{i:D4}").ToList();
        foreach (var chunk in keys.Chunk(1000))
        {
            var body = UsageEvents.Body(chunk.Select(key => UsageEvents.Event("r-" + key, apiKeyId: key, cost: "0.01")));
            Assert.Equal(chunk.Length, (int)(await world.Gateway.PostTelemetryOkAsync(body))["accepted"]!);
        }

        var today = BucketCalendar.Containing(TestClock.Now, BucketWidth.Day, TimeZoneInfo.Utc).Start;
        var query = $"starting_at={At(today)}&ending_at={At(today.AddDays(1))}&group_by=api_key&limit=1000";
        var pages = new List<JsonNode>();
        string? next = null;
        do
        {
            pages.Add(await GetAsync(world, query + (next is null ? "" : "&page=" + Uri.EscapeDataString(next))));
            next = (string?)pages[^1]["next_page"];
            Assert.Equal(next is not null, (bool)pages[^1]["has_more"]!);
        }
        while (next is not null && pages.Count < 10);

        Assert.Equal(3, pages.Count);
        Assert.Equal([1000, 1000, 500], pages.Select(page => page["data"]!.AsArray().Sum(b => b!["results"]!.AsArray().Count)));
        // The day's one bucket is split over the pages: on each with its part.
        Assert.All(pages, page => Assert.Equal(At(today), (string)Assert.Single(page["data"]!.AsArray())!["starting_at"]!));
        var results = pages.SelectMany(page => page["data"]![0]!["results"]!.AsArray()).Select(r => r!.AsObject()).ToList();
        Assert.Equal(keys, results.Select(r => (string)r["api_key_id"]!));
        Assert.All(results, r => Assert.Equal(("0.01", 1L), ((string)r["spend_usd"]!, (long)r["requests"]!)));
    }

    [Fact]
    public async Task Usage_Csv_ParsesAsRfc4180AndMatchesTheJson()
    {
        using var world = await silo.OnboardAsync();
        var (hour, _) = await PostMixedTrafficAsync(world);
        var query = $"starting_at={At(hour.AddHours(-3))}&ending_at={At(hour.AddHours(2))}&bucket_width=1h&time_zone=Asia/Kathmandu&group_by=model,attempt_kind";
        var json = await GetAsync(world, query);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orgs/{world.OrgId}/usage?{query}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await world.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("false", response.Headers.GetValues(UsageCsvResult.HasMoreHeader).Single());
        using var csv = new CsvReader(new StringReader(text), CultureInfo.InvariantCulture);
        var rows = new List<Dictionary<string, string>>();
        await csv.ReadAsync();
        csv.ReadHeader();
        var header = csv.HeaderRecord!;
        while (await csv.ReadAsync())
        {
            rows.Add(header.ToDictionary(name => name, name => csv.GetField(name)!));
        }

        Assert.Equal(
            ["starting_at", "ending_at", "settled", "model_id", "attempt_kind", "requests", "attempts", "prompt_tokens", "completion_tokens",
             "cached_prompt_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens", "spend_usd", "cache_savings_usd",
             "cache_hits", "unpriced_attempts", "error_attempts", "budget_denied", "upstream_latency_ms_avg", "upstream_latency_ms_p50",
             "upstream_latency_ms_p95", "upstream_latency_ms_max", "ttft_ms_avg", "ttft_ms_p95"],
            header);
        var expected = json["data"]!.AsArray()
            .SelectMany(bucket => bucket!["results"]!.AsArray().Select(result => Flatten(bucket!.AsObject(), result!.AsObject())))
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i], rows[i]);
        }

        // The attempt kind with a comma and quotes came through the quoting whole.
        Assert.Contains(rows, row => row["attempt_kind"] == "retry, \"fallback\"");
    }

    [Fact]
    public async Task Usage_BadParameters_Are400NamingThem_AndTheDataStaysIntact()
    {
        using var world = await silo.OnboardAsync();
        var (hour, events) = await PostMixedTrafficAsync(world);
        var good = $"starting_at={At(hour.AddHours(-3))}&ending_at={At(hour.AddHours(2))}&bucket_width=1h&time_zone=Asia/Kathmandu&group_by=model&limit=2";
        var before = await GetAsync(world, good);
        var page = (string)before["next_page"]!;
        var otherQueryPage = (string)(await GetAsync(world, good.Replace("group_by=model", "group_by=api_key", StringComparison.Ordinal)))["next_page"]!;
        using var other = await silo.OnboardAsync();

        var cases = new (string Query, string Expected)[]
        {
            (good.Replace("group_by=model", "group_by=model,planet", StringComparison.Ordinal), "'group_by' has unknown dimension 'planet'"),
            (good.Replace("Asia/Kathmandu", "Asia/Atlantis", StringComparison.Ordinal), "'time_zone' must be an IANA time zone"),
            (good.Replace(At(hour.AddHours(-3)), At(hour.AddHours(-3).AddMinutes(-15)), StringComparison.Ordinal),
                $"'starting_at' {At(hour.AddHours(-3).AddMinutes(-15))} is not on a 1h bucket boundary in Asia/Kathmandu: the nearest boundaries are {At(hour.AddHours(-4))} and {At(hour.AddHours(-3))}"),
            (good.Replace("bucket_width=1h", "bucket_width=1m", StringComparison.Ordinal).Replace(At(hour.AddHours(-3)), At(hour.AddDays(-2)), StringComparison.Ordinal), "at most 1500 buckets"),
            (good.Replace(At(hour.AddHours(2)), At(hour.AddHours(-4)), StringComparison.Ordinal), "'ending_at' must be after 'starting_at'"),
            (good + "&page=not-a-page", "'page' is not a page of this usage view"),
            (good + "&page=" + Uri.EscapeDataString(otherQueryPage), "'page' belongs to another query"),
            (good + "&environment_id=" + other.EnvironmentId, $"'environment_id' '{other.EnvironmentId}' is not an environment of org '{world.OrgId}'"),
            (good + "&limit=20000", "'limit'"),
            ("bucket_width=1h", "'starting_at'"),
        };
        foreach (var (query, expected) in cases)
        {
            using var response = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/usage?{query}");
            var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains(expected, detail, StringComparison.Ordinal);
        }

        using (var unknownOrg = await world.Admin.GetAsync($"/api/v1/orgs/org-nobody-{world.Suffix}/usage?{good}"))
        {
            Assert.Contains($"org 'org-nobody-{world.Suffix}' not found", await Http.ReadProblemAsync(unknownOrg, HttpStatusCode.NotFound), StringComparison.Ordinal);
        }

        // Nothing of it changed the view: the same first page, and its next page goes on.
        var after = await GetAsync(world, good);
        Assert.Equal(Strip(before), Strip(after));
        var second = await GetAsync(world, good + "&page=" + Uri.EscapeDataString(page));
        Assert.NotEmpty(second["data"]!.AsArray());
        var all = await ResultsAsync(world, good.Replace("&limit=2", "", StringComparison.Ordinal));
        Assert.Equal(events.Count, all.Sum(r => (long)r["attempts"]!));
    }

    [Fact]
    public async Task Usage_OrgWithoutEnvironments_ListsEveryBucketEmpty()
    {
        using var admin = silo.Admin();
        var orgId = "org-empty-" + Guid.NewGuid().ToString("N")[..8];
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Empty"}""");
        var week = BucketCalendar.Containing(TestClock.Now, BucketWidth.Week, TimeZoneInfo.Utc).Start;

        var view = await admin.GetOkAsync($"/api/v1/orgs/{orgId}/usage?starting_at={At(week.AddDays(-14))}&bucket_width=1w&group_by=team,member");

        var buckets = view["data"]!.AsArray();
        Assert.Equal([At(week.AddDays(-14)), At(week.AddDays(-7)), At(week)], buckets.Select(b => (string)b!["starting_at"]!));
        Assert.Equal(At(week.AddDays(7)), (string)view["ending_at"]!);
        Assert.All(buckets, b => Assert.Empty(b!["results"]!.AsArray()));
        var asOf = DateTimeOffset.Parse((string)view["as_of"]!, CultureInfo.InvariantCulture);
        Assert.Equal(
            [true, asOf - week > TimeSpan.FromMinutes(15), false],
            buckets.Select(b => (bool)b!["settled"]!));
    }

    [Fact]
    public async Task OpenApi_DescribesTheUsageViewAsJsonAndCsv()
    {
        using var anonymous = silo.Admin(null);

        var openApi = await anonymous.GetOkAsync("/openapi/v1.json");

        var ok = openApi["paths"]!["/api/v1/orgs/{org_id}/usage"]!["get"]!["responses"]!["200"]!["content"]!.AsObject();
        Assert.Contains("application/json", ok.Select(pair => pair.Key));
        Assert.Contains("text/csv", ok.Select(pair => pair.Key));
    }

    /// <summary>
    /// Traffic over the three hours before the current Kathmandu hour and in it, on three models and
    /// none, three keys, statuses 200/429 (budget and upstream)/500, retries, streamed and not.
    /// </summary>
    private static async Task<(DateTimeOffset Hour, List<Posted> Events)> PostMixedTrafficAsync(TestWorld world)
    {
        var hour = BucketCalendar.Containing(TestClock.Now, BucketWidth.Hour, Kathmandu).Start;
        var models = new[] { $"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}", "", "m-unpriced" };
        var random = new Random(world.Suffix.GetHashCode(StringComparison.Ordinal));
        var events = new List<Posted>();
        var bodies = new List<JsonObject>();
        for (var i = 0; i < 60; i++)
        {
            // Hours -3 and -2 and the current one; hour -1 stays empty.
            var offset = new[] { -3, -2, 0 }[i % 3];
            var at = hour.AddHours(offset).AddSeconds(random.Next(offset == 0 ? (int)Math.Min(3599, (TestClock.Now - hour).TotalSeconds) : 3600));
            var model = models[random.Next(models.Length)];
            var status = new[] { 200, 200, 200, 429, 500 }[random.Next(5)];
            var budgetDenied = status == 429 && random.Next(2) == 0;
            var latency = random.Next(20, 5000);
            long? ttft = random.Next(3) == 0 ? random.Next(10, latency) : null;
            var cost = random.Next(2) == 0 ? "0" : (random.Next(1, 100_000) / 1_000_000m).ToString(CultureInfo.InvariantCulture);
            var posted = new Posted(at, model, $"k-{random.Next(3)}", random.Next(0, 5000), random.Next(0, 900), status, budgetDenied, latency, ttft,
                i % 7 == 3 ? 1 : 0, i % 5 == 0 ? "retry, \"fallback\"" : "initial", 0m);
            var json = UsageEvents.Event($"r-{i}", at, model, posted.ApiKey, posted.Prompt, posted.Completion, cost, posted.AttemptIndex);
            json["status_code"] = status;
            json["upstream_latency_ms"] = latency;
            json["attempt_kind"] = posted.AttemptKind;
            if (ttft is not null)
            {
                json["upstream_ttft_ms"] = ttft;
            }

            if (budgetDenied)
            {
                json["error_class"] = "billing_error";
            }

            bodies.Add(json);
            var sent = decimal.Parse(cost, CultureInfo.InvariantCulture);
            events.Add(posted with
            {
                Cost = Price(world, posted, sent),
                Unpriced = sent == 0 && posted.Prompt + posted.Completion > 0 && (posted.Model.Length == 0 || posted.Model == "m-unpriced"),
            });
        }

        var answer = await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(bodies));
        Assert.Equal(60, (int)answer["accepted"]!);
        return (hour, events);
    }

    /// <summary>API.md §5 for the fixture's models: a gateway's non-zero cost as is, else the model's prices.</summary>
    private static decimal Price(TestWorld world, Posted posted, decimal sent) =>
        sent != 0 ? sent
        : posted.Model == $"m-gpt-4o-{world.Suffix}" ? (posted.Prompt * 2.50m + posted.Completion * 10m) / 1_000_000m
        : posted.Model == $"m-claude-primary-{world.Suffix}" ? (posted.Prompt * 3m + posted.Completion * 15m) / 1_000_000m
        : 0m;

    private static void AssertSums(List<Posted> events, JsonObject result)
    {
        Assert.Equal(events.Count(e => e.AttemptIndex == 0), (long)result["requests"]!);
        Assert.Equal(events.Count, (long)result["attempts"]!);
        Assert.Equal(events.Sum(e => e.Prompt), (long)result["prompt_tokens"]!);
        Assert.Equal(events.Sum(e => e.Completion), (long)result["completion_tokens"]!);
        Assert.Equal(WireFormat.Usd(events.Sum(e => e.Cost)), (string)result["spend_usd"]!);
        Assert.Equal("0.00", (string)result["cache_savings_usd"]!);
        Assert.Equal(events.Count(e => e.Status >= 400), (long)result["error_attempts"]!);
        Assert.Equal(events.Count(e => e.BudgetDenied), (long)result["budget_denied"]!);
        Assert.Equal(events.Count(e => e.Unpriced), (long)result["unpriced_attempts"]!);
        var latency = result["upstream_latency_ms"]!;
        Assert.Equal(Math.Round(events.Average(e => (double)e.Latency), 2), (double)latency["avg"]!);
        Assert.Equal(events.Max(e => e.Latency), (long)latency["max"]!);
        AssertPercentile(events.Select(e => (long)e.Latency), 0.5, (double)latency["p50"]!);
        AssertPercentile(events.Select(e => (long)e.Latency), 0.95, (double)latency["p95"]!);
        Assert.True((double)latency["p95"]! <= events.Max(e => e.Latency));
        var ttfts = events.Where(e => e.Ttft is not null).Select(e => e.Ttft!.Value).ToList();
        var ttft = result["ttft_ms"]!;
        if (ttfts.Count == 0)
        {
            Assert.Null(ttft["avg"]);
            Assert.Null(ttft["p95"]);
        }
        else
        {
            Assert.Equal(Math.Round(ttfts.Average(), 2), (double)ttft["avg"]!);
            AssertPercentile(ttfts, 0.95, (double)ttft["p95"]!);
        }
    }

    /// <summary>
    /// Asserts that the view lists every local day of <paramref name="zone"/> from <paramref name="first"/> to before
    /// <paramref name="end"/>, each from its local midnight to the next (worked out here, not by the calendar under
    /// test), with the sums of the events in it per model, and every event in one of them.
    /// </summary>
    private static List<JsonObject> AssertLocalDays(JsonNode view, TimeZoneInfo zone, DateTime first, DateTime end, List<Posted> events)
    {
        Assert.False((bool)view["has_more"]!);
        var buckets = view["data"]!.AsArray().Select(b => b!.AsObject()).ToList();
        Assert.Equal((end - first).Days, buckets.Count);
        for (var i = 0; i < buckets.Count; i++)
        {
            var (start, stop) = (LocalMidnight(first.AddDays(i), zone), LocalMidnight(first.AddDays(i + 1), zone));
            Assert.Equal(At(start), (string)buckets[i]["starting_at"]!);
            Assert.Equal(At(stop), (string)buckets[i]["ending_at"]!);
            var expected = events.Where(e => e.At >= start && e.At < stop).GroupBy(e => e.Model).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            var results = buckets[i]["results"]!.AsArray().Select(r => r!.AsObject()).ToList();
            Assert.Equal(expected.Select(g => g.Key.Length == 0 ? null : g.Key), results.Select(r => (string?)r["model_id"]));
            foreach (var (group, result) in expected.Zip(results))
            {
                AssertSums([.. group], result);
            }
        }

        Assert.Equal(events.Count, buckets.Sum(b => b["results"]!.AsArray().Sum(r => (long)r!["attempts"]!)));
        return buckets;
    }

    /// <summary>The date of the test clock's now in <paramref name="zone"/>.</summary>
    private static DateTime LocalToday(TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(TestClock.Now, zone).Date;

    /// <summary>The instant <paramref name="zone"/>'s clocks show midnight starting <paramref name="date"/>.</summary>
    private static DateTimeOffset LocalMidnight(DateTime date, TimeZoneInfo zone) =>
        new(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(date.Date, DateTimeKind.Unspecified), zone), TimeSpan.Zero);

    /// <summary>Berlin's day of <paramref name="year"/>'s October change back to standard time: its one 25-hour day.</summary>
    private static DateTime OctoberChange(int year) =>
        Enumerable.Range(1, 31).Select(day => new DateTime(year, 10, day, 0, 0, 0, DateTimeKind.Unspecified))
            .Single(day => LocalMidnight(day.AddDays(1), Berlin) - LocalMidnight(day, Berlin) == TimeSpan.FromHours(25));

    private static DateTimeOffset Instant(JsonNode? value) => DateTimeOffset.Parse((string)value!, CultureInfo.InvariantCulture);

    /// <summary>Within 5% of the exact nearest-rank value (README: how percentiles are approximated).</summary>
    private static void AssertPercentile(IEnumerable<long> values, double quantile, double actual)
    {
        var sorted = values.Order().ToList();
        var exact = sorted[(int)Math.Max(0, Math.Ceiling(quantile * sorted.Count) - 1)];
        Assert.InRange(actual, exact * 0.95, exact * 1.05);
    }

    private static Dictionary<string, string> Flatten(JsonObject bucket, JsonObject result)
    {
        var row = new Dictionary<string, string>
        {
            ["starting_at"] = (string)bucket["starting_at"]!,
            ["ending_at"] = (string)bucket["ending_at"]!,
            ["settled"] = (bool)bucket["settled"]! ? "true" : "false",
        };
        foreach (var (name, value) in result)
        {
            if (value is JsonObject latency)
            {
                foreach (var (part, number) in latency)
                {
                    row[$"{name}_{part}"] = number is null ? "" : number.ToJsonString();
                }
            }
            else
            {
                row[name] = value is null ? "" : value.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)value! : value.ToJsonString();
            }
        }

        return row;
    }

    private static string StatusClass(int status) => status switch { 200 => "2xx", 429 => "429", _ => "5xx" };

    private static DateTimeOffset Day(DateTimeOffset instant) => BucketCalendar.Containing(instant, BucketWidth.Day, Kathmandu).Start;

    private static string Strip(JsonNode view)
    {
        var copy = view.DeepClone().AsObject();
        copy.Remove("as_of");
        foreach (var bucket in copy["data"]!.AsArray())
        {
            bucket!.AsObject().Remove("settled");
        }

        return copy.ToJsonString();
    }

    private static async Task<JsonNode> GetAsync(TestWorld world, string query) =>
        await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/usage?{query}");

    private static async Task<List<JsonObject>> ResultsAsync(TestWorld world, string query) =>
        [.. (await GetAsync(world, query))["data"]!.AsArray().SelectMany(b => b!["results"]!.AsArray()).Select(r => r!.AsObject())];

    private static string At(DateTimeOffset instant) => WireFormat.Instant(instant);

    private sealed record Posted(
        DateTimeOffset At, string Model, string ApiKey, long Prompt, long Completion, int Status, bool BudgetDenied,
        int Latency, long? Ttft, int AttemptIndex, string AttemptKind, decimal Cost)
    {
        /// <summary>Tokens on no priced model and no cost from the gateway (API.md §5).</summary>
        public bool Unpriced { get; init; }
    }
}

/// <summary>The usage view on the default store: SQLite files.</summary>
public sealed class SqliteUsageViewTests(SiloFixture silo) : UsageViewContract<SiloFixture>(silo), IClassFixture<SiloFixture>;

/// <summary>The usage view in the production storage mode: rollups in PostgreSQL.</summary>
public sealed class PostgresUsageViewTests(PostgresSiloFixture silo) : UsageViewContract<PostgresSiloFixture>(silo), IClassFixture<PostgresSiloFixture>;
