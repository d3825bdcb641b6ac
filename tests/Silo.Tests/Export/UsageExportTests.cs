using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.Silo.Tests.Postgres;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Export;

/// <summary>
/// <c>GET /api/v1/orgs/{org_id}/usage-events</c> through a real silo: every accepted event once, in
/// commit order, whatever the paging, replays, late events or concurrent batches. Run against each
/// store by a subclass; every read waits first until what was acknowledged is exportable.
/// </summary>
/// <typeparam name="TFixture">The silo in one storage mode.</typeparam>
public abstract class UsageExportContract<TFixture>(TFixture silo)
    where TFixture : SiloFixture
{
    private static readonly string[] Fields =
    [
        "environment_id", "dp_id", "request_id", "attempt_index", "occurred_at", "received_at", "model_id", "requested_model",
        "api_key_id", "provider_key_id", "team_id", "member_id", "prompt_tokens", "completion_tokens", "cached_prompt_tokens",
        "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens", "status_code", "error_class", "attempt_kind",
        "cache_status", "guardrail_blocked", "upstream_latency_ms", "upstream_ttft_ms", "downstream_latency_ms", "cost_usd",
        "cache_savings_usd", "unpriced", "price_version",
    ];

    /// <summary>Until every event acknowledged so far is readable through the export (at once on SQLite).</summary>
    protected virtual Task ExportCaughtUpAsync() => Task.CompletedTask;

    [Fact]
    public async Task Export_SmallPages_GiveEveryEventOnceInCommitOrder()
    {
        using var world = await silo.OnboardAsync();
        var batches = Enumerable.Range(0, 5).Select(b => Batch(world, $"b{b}", 7, TestClock.Now.AddMinutes(-10 * b))).ToList();
        foreach (var batch in batches)
        {
            Assert.Equal(7, (int)(await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(batch)))["accepted"]!);
        }

        await ExportCaughtUpAsync();
        var (events, cursor, pages) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, limit: 4);

        Assert.Equal(9, pages);
        Assert.Equal(35, events.Select(ExportReader.Key).Distinct().Count());
        // Batches were committed one after the other: each batch's events follow all of the one before.
        var batchOf = events.Select(e => int.Parse(((string)e["request_id"]!)[1..2], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(batchOf.Order(), batchOf);
        for (var b = 0; b < batches.Count; b++)
        {
            Assert.Equal(
                batches[b].Select(e => (string)e["request_id"]!).Order(StringComparer.Ordinal),
                events.Where((_, i) => batchOf[i] == b).Select(e => (string)e["request_id"]!).Order(StringComparer.Ordinal));
        }

        var after = await ExportReader.PageAsync(world.Admin, world.OrgId, cursor);
        Assert.Empty(after["events"]!.AsArray());
        Assert.False((bool)after["has_more"]!);
        Assert.Equal(cursor, (string)after["next_cursor"]!);
    }

    [Fact]
    public async Task Export_ReplayedBatches_AddNothing()
    {
        using var world = await silo.OnboardAsync();
        var bodies = Enumerable.Range(0, 3).Select(b => UsageEvents.Body(Batch(world, $"r{b}", 10, TestClock.Now))).ToList();
        foreach (var body in bodies)
        {
            await world.Gateway.PostTelemetryOkAsync(body);
        }

        await ExportCaughtUpAsync();
        var (first, cursor, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, limit: 7);
        foreach (var body in bodies)
        {
            Assert.Equal(10, (int)(await world.Gateway.PostTelemetryOkAsync(body))["duplicates"]!);
        }

        await ExportCaughtUpAsync();
        var (afterReplay, cursorAfter, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, cursor);
        var (all, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId);
        Assert.Empty(afterReplay);
        Assert.Equal(cursor, cursorAfter);
        Assert.Equal(first.Select(e => e.ToJsonString()), all.Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task Export_LateEvent_ComesAfterTheEventsCommittedBeforeIt()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(world, "now", 3, TestClock.Now)));
        await ExportCaughtUpAsync();
        var (_, cursor, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId);

        // Sent now, occurred two days ago: earlier than everything already exported.
        var lateAt = TestClock.Now.AddDays(-2);
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(world, "late", 2, lateAt)));
        await ExportCaughtUpAsync();

        var (fromCursor, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, cursor);
        var (all, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId);
        Assert.Equal(["late-0", "late-1"], fromCursor.Select(e => (string)e["request_id"]!).Order(StringComparer.Ordinal));
        Assert.Equal(UsageEvents.Timestamp(lateAt), (string)fromCursor[0]["occurred_at"]!);
        Assert.Equal(["now", "now", "now", "late", "late"], all.Select(e => ((string)e["request_id"]!).Split('-')[0]));
    }

    [Fact]
    public async Task Export_Ndjson_OneEventALineThenTheCursor_MatchingTheJson()
    {
        using var world = await silo.OnboardAsync();
        foreach (var fixture in new[] { "chat-openai.json", "cache-hit.json", "budget-denied.json", "stream-fallback-anthropic.json" })
        {
            await world.Gateway.PostTelemetryOkAsync(world.Fixture(fixture));
        }

        await ExportCaughtUpAsync();
        var json = await ExportReader.PageAsync(world.Admin, world.OrgId, limit: 3);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orgs/{world.OrgId}/usage-events?limit=3");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        using var response = await world.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd('\n').Split('\n').Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal(json["events"]!.AsArray().Select(e => e!.ToJsonString()), lines[..3].Select(l => l.ToJsonString()));
        var last = lines[3];
        Assert.Equal(["next_cursor", "has_more"], last.Select(pair => pair.Key));
        Assert.Equal((string)json["next_cursor"]!, (string)last["next_cursor"]!);
        Assert.True((bool)last["has_more"]!);

        var rest = await ExportReader.PageAsync(world.Admin, world.OrgId, (string)last["next_cursor"]!);
        Assert.Equal(2, rest["events"]!.AsArray().Count);
    }

    [Fact]
    public async Task Export_Event_CarriesEveryFieldWithWhatIngestKnew()
    {
        using var world = await silo.OnboardAsync();
        var key = "k-" + world.Suffix;
        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"team-a","user_id":"u-1"}""");
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("stream-fallback-anthropic.json").Replace("\"k-frontend\"", $"\"{key}\"", StringComparison.Ordinal));

        await ExportCaughtUpAsync();
        var events = (await ExportReader.PageAsync(world.Admin, world.OrgId))["events"]!.AsArray().Select(e => e!.AsObject()).ToList();

        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(Fields.Order(StringComparer.Ordinal), e.Select(pair => pair.Key).Order(StringComparer.Ordinal)));
        var failed = events.Single(e => (int)e["attempt_index"]! == 0);
        var fallback = events.Single(e => (int)e["attempt_index"]! == 1);
        Assert.Equal(world.EnvironmentId, (string)failed["environment_id"]!);
        Assert.Equal("dp-east-1", (string)failed["dp_id"]!);
        Assert.Equal("c3d2a1f0-1111-4a2b-8c3d-445566778899", (string)failed["request_id"]!);
        Assert.Equal($"m-claude-primary-{world.Suffix}", (string)failed["model_id"]!);
        Assert.Equal("smart", (string)failed["requested_model"]!);
        Assert.Equal(key, (string)failed["api_key_id"]!);
        Assert.Equal("pk-anthropic", (string)failed["provider_key_id"]!);
        Assert.Equal("team-a", (string)failed["team_id"]!);
        Assert.Equal("u-1", (string)failed["member_id"]!);
        Assert.Equal(503, (int)failed["status_code"]!);
        Assert.Equal("upstream_status", (string)failed["error_class"]!);
        Assert.Equal("initial", (string)failed["attempt_kind"]!);
        Assert.Null(failed["cache_status"]);
        Assert.Null(failed["upstream_ttft_ms"]);
        Assert.Equal("0.00", (string)failed["cost_usd"]!);
        Assert.False((bool)failed["unpriced"]!);

        Assert.Null(fallback["provider_key_id"]);
        Assert.Equal(2210, (long)fallback["prompt_tokens"]!);
        Assert.Equal(655, (long)fallback["completion_tokens"]!);
        Assert.Equal(1024, (long)fallback["cache_creation_tokens"]!);
        Assert.Equal(6480, (long)fallback["upstream_latency_ms"]!);
        Assert.Equal(690, (long)fallback["upstream_ttft_ms"]!);
        Assert.Equal(1350, (long)fallback["downstream_latency_ms"]!);
        Assert.Equal("disabled", (string)fallback["cache_status"]!);
        Assert.Equal("fallback", (string)fallback["attempt_kind"]!);
        Assert.Null(fallback["error_class"]);
        Assert.Equal("0.020295", (string)fallback["cost_usd"]!);
        Assert.Equal("0.00", (string)fallback["cache_savings_usd"]!);
        Assert.Equal(1, (int)fallback["price_version"]!);
        var occurred = DateTimeOffset.Parse((string)fallback["occurred_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(occurred, TestClock.Now.AddMinutes(-1), TestClock.Now);
        var received = DateTimeOffset.Parse((string)fallback["received_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(received, TestClock.Now.AddMinutes(-1), TestClock.Now.AddMinutes(1));
    }

    [Fact]
    public async Task Export_EventWithoutModelOrKey_HasNullsAndIsUnpricedOnlyWithTokens()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body([UsageEvents.Event("bare", apiKeyId: "")]));

        await ExportCaughtUpAsync();
        var exported = Assert.Single((await ExportReader.PageAsync(world.Admin, world.OrgId))["events"]!.AsArray())!;

        Assert.Null(exported["model_id"]);
        Assert.Null(exported["api_key_id"]);
        Assert.Null(exported["team_id"]);
        Assert.Null(exported["price_version"]);
        Assert.True((bool)exported["unpriced"]!);
    }

    [Theory]
    [MemberData(nameof(ExportBadRequests.Cases), MemberType = typeof(ExportBadRequests))]
    public async Task Export_BadParameter_Is400NamingItAndTheDataStaysIntact(string query, HttpStatusCode status, string expected)
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(world, "kept", 3, TestClock.Now)));

        using var response = await world.Admin.GetAsync($"/api/v1/orgs/{world.OrgId}/usage-events?{query}");

        var detail = await Http.ReadProblemAsync(response, status);
        Assert.StartsWith(expected, detail, StringComparison.Ordinal);
        await ExportCaughtUpAsync();
        var (events, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId);
        Assert.Equal(3, events.Count);
        Assert.Equal(3, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
    }

    [Fact]
    public async Task Export_EnvironmentOfAnotherOrg_Is400NamingItAndShowsNothingOfIt()
    {
        using var mine = await silo.OnboardAsync();
        using var theirs = await silo.OnboardAsync();
        await theirs.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(theirs, "secret", 2, TestClock.Now)));

        using var response = await mine.Admin.GetAsync($"/api/v1/orgs/{mine.OrgId}/usage-events?environment_id={theirs.EnvironmentId}");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal($"'environment_id' '{theirs.EnvironmentId}' is not an environment of org '{mine.OrgId}'", detail);
        await ExportCaughtUpAsync();
        Assert.Empty((await ExportReader.ReadAllAsync(mine.Admin, mine.OrgId)).Events);
        Assert.Equal(2, (await ExportReader.ReadAllAsync(theirs.Admin, theirs.OrgId)).Events.Count);
    }

    [Theory]
    [InlineData("org-that-was-never-created", HttpStatusCode.NotFound, "org 'org-that-was-never-created' not found")]
    [InlineData("bad%20org", HttpStatusCode.BadRequest, "'org_id' must be 1-128 characters")]
    public async Task Export_UnknownOrMalformedOrg_IsNamed(string orgId, HttpStatusCode status, string expected)
    {
        using var admin = silo.Admin();

        using var response = await admin.GetAsync($"/api/v1/orgs/{orgId}/usage-events");

        Assert.StartsWith(expected, await Http.ReadProblemAsync(response, status), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_WithoutToken_Is401()
    {
        using var world = await silo.OnboardAsync();
        using var anonymous = silo.Admin(null);

        using var response = await anonymous.GetAsync($"/api/v1/orgs/{world.OrgId}/usage-events");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Export_IsDescribedInTheOpenApiDocumentWithBothMediaTypes()
    {
        using var anonymous = silo.Admin(null);

        var openApi = await anonymous.GetOkAsync("/openapi/v1.json");

        var ok = openApi["paths"]!["/api/v1/orgs/{org_id}/usage-events"]!["get"]!["responses"]!["200"]!["content"]!.AsObject();
        Assert.Contains("application/json", ok.Select(pair => pair.Key));
        Assert.Contains("application/x-ndjson", ok.Select(pair => pair.Key));
    }

    [Fact]
    public async Task Export_OrgWithoutEnvironments_IsAnEmptyPageWithACursor()
    {
        using var admin = silo.Admin();
        var orgId = "org-empty-" + Guid.NewGuid().ToString("N")[..8];
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Empty"}""");

        var page = await ExportReader.PageAsync(admin, orgId);

        Assert.Empty(page["events"]!.AsArray());
        Assert.False((bool)page["has_more"]!);
        Assert.False(string.IsNullOrEmpty((string)page["next_cursor"]!));
    }

    [Fact]
    public async Task Export_EnvironmentFilter_GivesOnlyThoseEnvironments()
    {
        using var world = await silo.OnboardAsync();
        var staging = "env-staging-" + world.Suffix;
        await world.Admin.PutOkAsync($"/api/v1/environments/{staging}", $$"""{"org_id":"{{world.OrgId}}","name":"Staging"}""");
        using var stagingGateway = await TestWorld.IssueGatewayAsync(silo, world.Admin, staging, "dp-staging");
        await world.Gateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(world, "prod", 3, TestClock.Now)));
        await stagingGateway.PostTelemetryOkAsync(UsageEvents.Body(Batch(world, "stage", 2, TestClock.Now)));

        await ExportCaughtUpAsync();
        var (onlyStaging, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, extra: $"&environment_id={staging}");
        var (repeated, _, _) = await ExportReader.ReadAllAsync(
            world.Admin, world.OrgId, extra: $"&environment_id={staging}&environment_id={world.EnvironmentId}");
        var (commaSeparated, _, _) = await ExportReader.ReadAllAsync(
            world.Admin, world.OrgId, extra: $"&environment_id={world.EnvironmentId},{staging}");
        var (all, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId);

        Assert.Equal(["dp-staging", "dp-staging"], onlyStaging.Select(e => (string)e["dp_id"]!));
        Assert.All(onlyStaging, e => Assert.Equal(staging, (string)e["environment_id"]!));
        Assert.Equal(5, all.Count);
        Assert.Equal(all.Select(e => e.ToJsonString()), repeated.Select(e => e.ToJsonString()));
        Assert.Equal(all.Select(e => e.ToJsonString()), commaSeparated.Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task Export_RandomTrafficOfTwoGateways_SumsToEachGatewaysTotals()
    {
        using var world = await silo.OnboardAsync();
        using var second = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-2");
        var random = new Random(20261201);
        string[] models = [$"m-gpt-4o-{world.Suffix}", $"m-claude-primary-{world.Suffix}", $"m-claude-secondary-{world.Suffix}", "", "m-unpriced"];
        string[] keys = ["k-a", "k-b", ""];
        (int Status, string? ErrorClass)[] outcomes = [(200, null), (200, null), (200, null), (429, "billing_error"), (429, "upstream_status"), (503, "upstream_status"), (400, null)];
        for (var b = 0; b < 12; b++)
        {
            var events = Enumerable.Range(0, random.Next(1, 30)).Select(i =>
            {
                var (status, errorClass) = outcomes[random.Next(outcomes.Length)];
                var e = UsageEvents.Event(
                    $"rnd-{b}-{i}",
                    TestClock.Now.AddMinutes(-random.Next(0, 60 * 24 * 3)),
                    models[random.Next(models.Length)],
                    keys[random.Next(keys.Length)],
                    random.Next(0, 5000),
                    random.Next(0, 2000),
                    random.Next(4) == 0 ? "0.0" + random.Next(1, 99999).ToString(CultureInfo.InvariantCulture) : "0",
                    attemptIndex: random.Next(3) == 0 ? 1 : 0);
                e["status_code"] = status;
                e["error_class"] = errorClass;
                return e;
            }).ToList();
            await (b % 2 == 0 ? world.Gateway : second).PostTelemetryOkAsync(UsageEvents.Body(events));
        }

        await ExportCaughtUpAsync();
        var (exported, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, limit: 13);

        foreach (var dpId in new[] { "dp-east-1", "dp-west-2" })
        {
            var mine = exported.Where(e => (string)e["dp_id"]! == dpId).ToList();
            var detail = await world.GatewayDetailAsync(dpId);
            Assert.NotEmpty(mine);
            Assert.Equal((long)detail["telemetry"]!["events_accepted"]!, mine.Count);
            Assert.Equal((long)detail["usage"]!["requests"]!, mine.Count(e => (int)e["attempt_index"]! == 0));
            Assert.Equal((long)detail["usage"]!["prompt_tokens"]!, mine.Sum(e => (long)e["prompt_tokens"]!));
            Assert.Equal((long)detail["usage"]!["completion_tokens"]!, mine.Sum(e => (long)e["completion_tokens"]!));
            Assert.Equal(Money(detail["usage"]!["spend_usd"]), mine.Sum(e => Money(e["cost_usd"])));
            Assert.Equal(Money(detail["usage"]!["cache_savings_usd"]), mine.Sum(e => Money(e["cache_savings_usd"])));
            Assert.Equal((long)detail["usage"]!["errors"]!, mine.Count(e => (int)e["status_code"]! >= 400));
            Assert.Equal(
                (long)detail["usage"]!["budget_denied"]!,
                mine.Count(e => (int)e["status_code"]! == 429 && (string?)e["error_class"] == "billing_error"));
            Assert.Equal((long)detail["telemetry"]!["events_unpriced"]!, mine.Count(e => (bool)e["unpriced"]!));
        }
    }

    [Fact]
    public async Task Export_ReaderPagingWhileTwoGatewaysPost_SeesEveryEventOnce()
    {
        using var world = await silo.OnboardAsync();
        using var second = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-2");
        var posted = new List<string>();
        // The writers hold after their first batch until the reader has read an event, so that reads
        // overlap the remaining writes however fast the machine posts (unheld, they can finish first).
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task PostAsync(GatewayClient gateway)
        {
            for (var b = 0; b < 15; b++)
            {
                if (b == 1)
                {
                    await firstRead.Task.WaitAsync(TimeSpan.FromSeconds(30));
                }

                var events = Batch(world, $"{gateway.DpId}-{b}", 9, TestClock.Now);
                await gateway.PostTelemetryOkAsync(UsageEvents.Body(events));
                lock (posted)
                {
                    posted.AddRange(events.Select(e => $"{gateway.DpId}/{(string)e["request_id"]!}/0"));
                }
            }
        }

        var writers = Task.WhenAll(PostAsync(world.Gateway), PostAsync(second));
        var seen = new List<string>();
        string? cursor = null;
        var readsDuringWrites = 0;
        while (!writers.IsCompleted)
        {
            var (events, next, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, cursor, limit: 7);
            seen.AddRange(events.Select(ExportReader.Key));
            cursor = next;
            if (events.Count > 0 && !writers.IsCompleted)
            {
                readsDuringWrites++;
                firstRead.TrySetResult();
            }
        }

        // Otherwise the reader only ever read after the writers: nothing concurrent was tested.
        Assert.True(readsDuringWrites > 0, "no read returned events while the gateways were still posting");
        await writers;
        await ExportCaughtUpAsync();
        var (rest, _, _) = await ExportReader.ReadAllAsync(world.Admin, world.OrgId, cursor, limit: 7);
        seen.AddRange(rest.Select(ExportReader.Key));

        Assert.Equal(270, posted.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(posted.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    private static decimal Money(JsonNode? value) => decimal.Parse((string)value!, CultureInfo.InvariantCulture);

    /// <summary><paramref name="count"/> priced events of one gateway request each, occurring at <paramref name="occurredAt"/>.</summary>
    private static List<JsonObject> Batch(TestWorld world, string prefix, int count, DateTimeOffset occurredAt) =>
        [.. Enumerable.Range(0, count).Select(i =>
            UsageEvents.Event($"{prefix}-{i}", occurredAt, $"m-gpt-4o-{world.Suffix}", promptTokens: 100 + i))];
}

/// <summary>Bad export parameters and the problem each must give; shared by the stores' export tests.</summary>
public static class ExportBadRequests
{
    public static TheoryData<string, HttpStatusCode, string> Cases => new()
    {
        { "limit=0", HttpStatusCode.BadRequest, "'limit' must be an integer from 1 to 10000" },
        { "limit=10001", HttpStatusCode.BadRequest, "'limit' must be an integer from 1 to 10000" },
        { "limit=-5", HttpStatusCode.BadRequest, "'limit' must be an integer from 1 to 10000" },
        { "limit=many", HttpStatusCode.BadRequest, "'limit' must be an integer from 1 to 10000" },
        { "limit=2.5", HttpStatusCode.BadRequest, "'limit' must be an integer from 1 to 10000" },
        { "limit=1&limit=2", HttpStatusCode.BadRequest, "'limit' must be given at most once" },
        { "after=not-a-cursor", HttpStatusCode.BadRequest, "'after' is not a cursor of this export" },
        // Base64url of "v1.x.y": the right envelope, not a position.
        { "after=djEueC55", HttpStatusCode.BadRequest, "'after' is not a cursor of this export" },
        { "after=a&after=b", HttpStatusCode.BadRequest, "'after' must be given at most once" },
        { "environment_id=has%20space", HttpStatusCode.BadRequest, "'environment_id' must be 1-128 characters" },
        { "environment_id=env-nobody-has", HttpStatusCode.BadRequest, "'environment_id' 'env-nobody-has' is not an environment of org" },
    };
}

/// <summary>The export on the default store: SQLite files.</summary>
public sealed class SqliteUsageExportTests(SiloFixture silo) : UsageExportContract<SiloFixture>(silo), IClassFixture<SiloFixture>;

/// <summary>The export in the production storage mode: read below the server's oldest running transaction.</summary>
public sealed class PostgresUsageExportTests(PostgresSiloFixture silo)
    : UsageExportContract<PostgresSiloFixture>(silo), IClassFixture<PostgresSiloFixture>
{
    private readonly PostgresSiloFixture _silo = silo;

    protected override Task ExportCaughtUpAsync() => ExportHorizon.PassedAsync(_silo.ConnectionString);
}
