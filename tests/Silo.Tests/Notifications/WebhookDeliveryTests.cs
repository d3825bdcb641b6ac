using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Budgets;
using BudgetCluster.Silo.Tests.Infrastructure;
using StandardWebhooks;

namespace BudgetCluster.Silo.Tests.Notifications;

/// <summary>A silo that may send webhooks over http to loopback (the receiver), on a clock the tests move past retry waits.</summary>
public sealed class WebhookClockFixture : MovableClockSiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Webhooks:AllowHttp=true", "--Webhooks:AllowPrivateNetworks=true"];
}

/// <summary>API.md §10 through a real silo and a real HTTP receiver: signed deliveries of budget transitions, and retries.</summary>
public sealed class WebhookDeliveryTests(WebhookClockFixture silo) : IClassFixture<WebhookClockFixture>
{
    [Fact]
    public async Task BudgetCrossedAndRaised_ReceiverGetsThresholdExceededCleared_EachSignedAsTheStandardSays()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        var secret = await CreateEndpointAsync(world, receiver, """["budget.threshold","budget.exceeded","budget.cleared"]""");
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var budget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key, thresholds: "[0.5]"));

        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("a", 1, "0.60", key, silo.Clock.GetUtcNow()));
        var threshold = await receiver.NextAsync();
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("b", 1, "0.50", key, silo.Clock.GetUtcNow()));
        var exceeded = await receiver.NextAsync();
        await world.Admin.PutOkAsync($"/api/v1/budgets/{budget}", BudgetApiTests.Body(world, limit: "5", scope: "api_key", reference: key, thresholds: "[0.5]"));
        var cleared = await receiver.NextAsync();

        var bodies = new[] { threshold, exceeded, cleared }.Select(Verified(secret)).ToList();
        Assert.Equal(["budget.threshold", "budget.exceeded", "budget.cleared"], bodies.Select(b => (string)b["type"]!));
        Assert.All(bodies, b => Assert.Equal(budget, (string)b["data"]!["budget_id"]!));
        Assert.All(bodies, b => Assert.Equal(world.OrgId, (string)b["data"]!["org_id"]!));
        Assert.Equal("monthly", (string)bodies[0]["data"]!["budget_name"]!);
        Assert.Equal(0.5m, (decimal)bodies[0]["data"]!["threshold"]!);
        Assert.Equal(("1.10", true), ((string)bodies[1]["data"]!["spent_usd"]!, (bool)bodies[1]["data"]!["blocking"]!));
        Assert.Equal("5.00", (string)bodies[2]["data"]!["limit_usd"]!);
        var versions = bodies.Select(b => (long)b["data"]!["version"]!).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(3, versions.Distinct().Count());
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Receiver500Twice_ThreeAttemptsSameId_DeliveredOnce_AndTheLogShowsAll()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        var secret = await CreateEndpointAsync(world, receiver, """["budget.exceeded"]""");
        receiver.Plan(500, 500);

        var test = await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/test", "");
        var first = await receiver.NextAsync();
        // Each failure is rescheduled from when its answer came: wait for it before moving the clock.
        await DeliveriesAsync(world, entries => entries.Count == 1);
        silo.Clock.Advance(TimeSpan.FromSeconds(6));
        var second = await receiver.NextAsync();
        await DeliveriesAsync(world, entries => entries.Count == 2);
        silo.Clock.Advance(TimeSpan.FromSeconds(31));
        var third = await receiver.NextAsync();
        var log = await DeliveriesAsync(world, entries => entries.Count == 3 && entries[0]!["delivered_at"] is not null);
        silo.Clock.Advance(TimeSpan.FromMinutes(3));

        var eventId = (string)test["event_id"]!;
        Assert.All(new[] { first, second, third }, r => Assert.Equal(eventId, r.Headers["webhook-id"]));
        Assert.Equal([500, 500, 200], new[] { first, second, third }.Select(r => r.Status));
        Assert.Equal("webhook.test", (string)Verified(secret)(third)["type"]!);
        Assert.Equal([3, 2, 1], log.Select(e => (int)e!["attempt"]!));
        Assert.Equal([200, 500, 500], log.Select(e => (int)e!["status_code"]!));
        Assert.Null(log[0]!["next_attempt_at"]);
        Assert.NotNull(log[1]!["next_attempt_at"]);
        Assert.Null(log[1]!["delivered_at"]);
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromSeconds(1.5)));

        async Task<JsonArray> DeliveriesAsync(TestWorld w, Func<JsonArray, bool> done)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                var entries = (await w.Admin.GetOkAsync($"/api/v1/orgs/{w.OrgId}/webhooks/hook/deliveries"))["data"]!.AsArray();
                if (done(entries) || DateTime.UtcNow > deadline)
                {
                    return entries;
                }

                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task ReceiverFailingForThreeDays_IsTriedOnTheScheduleThenFailed_AndTheLogSaysSo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        await CreateEndpointAsync(world, receiver, """["budget.exceeded"]""");
        receiver.Plan([.. Enumerable.Repeat(500, 40)]);
        var deliveries = $"/api/v1/orgs/{world.OrgId}/webhooks/hook/deliveries";

        await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/test", "");
        var attempts = 0;
        JsonNode last;
        while (true)
        {
            await receiver.NextAsync();
            attempts++;
            last = await LatestAttemptAsync(attempts);
            if (last["next_attempt_at"] is not { } next)
            {
                break;
            }

            // To the next attempt's time, from the silo's clock.
            silo.Clock.Advance(DateTimeOffset.Parse((string)next!, CultureInfo.InvariantCulture) - silo.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        }

        silo.Clock.Advance(TimeSpan.FromDays(1));
        // The first and 16 retries: 8 on the backoff (7 h 42 min 35 s), then eight 8-hour waits within 3 days.
        Assert.Equal(17, attempts);
        Assert.Equal((17, 500), ((int)last["attempt"]!, (int)last["status_code"]!));
        Assert.Null(last["delivered_at"]);
        var first = (await world.Admin.GetOkAsync(deliveries))["data"]!.AsArray()[^1]!;
        var span = DateTimeOffset.Parse((string)last["attempted_at"]!, CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse((string)first["attempted_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(span, TimeSpan.FromDays(3) - TimeSpan.FromHours(8), TimeSpan.FromDays(3));
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromSeconds(1.5)));

        async Task<JsonNode> LatestAttemptAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                var entries = (await world.Admin.GetOkAsync(deliveries))["data"]!.AsArray();
                if (entries.Count >= count || DateTime.UtcNow > deadline)
                {
                    return entries[0]!;
                }

                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task RotateSecret_BothSecretsSignFor24Hours_ThenOnlyTheNewOne()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        var old = await CreateEndpointAsync(world, receiver, """["budget.exceeded"]""");

        var rotated = await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/rotate-secret", "");
        var current = (string)rotated["secret"]!;
        await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/test", "");
        var during = await receiver.NextAsync();
        silo.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        await world.Admin.PostOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook/test", "");
        var after = await receiver.NextAsync();
        var shown = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}/webhooks/hook");

        Assert.NotEqual(old, current);
        var signatures = during.Headers["webhook-signature"].Split(' ');
        Assert.Equal(2, signatures.Length);
        Assert.Equal(Expected(current, during), signatures[0]);
        Assert.Equal(Expected(old, during), signatures[1]);
        Assert.Equal(Expected(current, after), after.Headers["webhook-signature"]);
        Assert.Null(shown["secret"]);
        // The 24 h are over: the previous secret is gone.
        Assert.Null(shown["previous_secret_expires_at"]);
    }

    [Fact]
    public async Task SteadySpendReachingTheLimitAt80PercentOfTheDay_SendsOneForecast_ASlowerOneNever()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var world = await silo.OnboardAsync();
        var secret = await CreateEndpointAsync(world, receiver, """["budget.forecast"]""");
        // A fixed-offset zone where the day is about six hours old, so 80% of it is still ahead.
        var offset = ((6 - silo.Clock.GetUtcNow().Hour + 36) % 24) - 12;
        var zone = offset switch { 0 => "Etc/GMT", > 0 => $"Etc/GMT-{offset}", _ => $"Etc/GMT+{-offset}" };
        var (fast, slow) = (await BudgetCheckTests.KeyAsync(world, "fast"), await BudgetCheckTests.KeyAsync(world, "slow"));
        var fastBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "10", scope: "api_key", reference: fast, period: "day", timezone: zone));
        var slowBudget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "10", scope: "api_key", reference: slow, period: "day", timezone: zone));
        var start = DateTimeOffset.Parse((string)(await BudgetSpendTests.StatusAsync(world, fastBudget))["period_start"]!, CultureInfo.InvariantCulture);
        var elapsedHours = (decimal)(silo.Clock.GetUtcNow() - start).TotalHours;

        // Spend so far at which the rate reaches $10 at 80% (fast) or 120% (slow) of the 24 h day.
        string Cost(decimal share) => Math.Round(10m * elapsedHours / (share * 24m), 6).ToString(CultureInfo.InvariantCulture);
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("f", 1, Cost(0.8m), fast, silo.Clock.GetUtcNow()));
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("s", 1, Cost(1.2m), slow, silo.Clock.GetUtcNow()));
        var forecast = Verified(secret)(await receiver.NextAsync());
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("f2", 1, "0.01", fast, silo.Clock.GetUtcNow()));
        var fastStatus = await BudgetSpendTests.StatusAsync(world, fastBudget);
        var slowStatus = await BudgetSpendTests.StatusAsync(world, slowBudget);

        Assert.Equal(("budget.forecast", fastBudget), ((string)forecast["type"]!, (string)forecast["data"]!["budget_id"]!));
        Assert.NotNull(forecast["data"]!["projected_exhaustion_at"]);
        Assert.True(decimal.Parse((string)forecast["data"]!["burn_rate_usd_per_hour"]!, CultureInfo.InvariantCulture) > 0m);
        Assert.False(await receiver.AnyWithinAsync(TimeSpan.FromSeconds(1.5)));
        var projected = DateTimeOffset.Parse((string)fastStatus["projected_exhaustion_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(projected, start.AddHours((0.8 * 24) - 0.5), start.AddHours((0.8 * 24) + 0.5));
        Assert.True(decimal.Parse((string)fastStatus["burn_rate_usd_per_hour"]!, CultureInfo.InvariantCulture) > 0m);
        Assert.Null(slowStatus["projected_exhaustion_at"]);
        Assert.NotNull(slowStatus["burn_rate_usd_per_hour"]);
    }

    internal static async Task<string> CreateEndpointAsync(TestWorld world, WebhookReceiver receiver, string events)
    {
        using var response = await world.Admin.PutAsync(
            $"/api/v1/orgs/{world.OrgId}/webhooks/hook", $$"""{"url":"{{receiver.Url}}","events":{{events}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var secret = (string)(await Http.ReadOkAsync(response))["secret"]!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        return secret;
    }

    /// <summary>The body, once the signature is checked with the StandardWebhooks package (never our own signer).</summary>
    internal static Func<WebhookReceiver.Received, JsonNode> Verified(string secret) => received =>
    {
        Assert.Equal(Expected(secret, received), received.Headers["webhook-signature"]);
        var body = JsonNode.Parse(received.Body)!;
        Assert.Equal(received.Headers["webhook-id"], (string)body["id"]!);
        Assert.StartsWith("application/json", received.Headers["content-type"], StringComparison.Ordinal);
        return body;
    };

    /// <summary>
    /// The signature the package computes for the request's id, timestamp and body (its Verify also
    /// checks the timestamp against the real clock, which these silos run ahead of).
    /// </summary>
    private static string Expected(string secret, WebhookReceiver.Received received) => new StandardWebhook(secret).Sign(
        received.Headers["webhook-id"],
        DateTimeOffset.FromUnixTimeSeconds(long.Parse(received.Headers["webhook-timestamp"], CultureInfo.InvariantCulture)),
        Encoding.UTF8.GetString(received.Body));
}
