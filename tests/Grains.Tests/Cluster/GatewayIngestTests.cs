using System.Collections.Immutable;
using System.Diagnostics;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>The gateway grain's promises about one batch: one bad event, one foreign key or one slow budget costs only itself.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class GatewayIngestTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task IngestTelemetry_ZeroTimeEventBesideAValidOne_RejectsOnlyItWithAReason()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var tenant = await TenantAsync();
        var budget = await tenant.BudgetAsync(ScopeType.Org, tenant.OrgId, "Asia/Tokyo");

        var result = await tenant.Gateway("dp").IngestTelemetryAsync(Batch(
            Event("valid", 1.00m),
            Event("go-zero-time", 0.50m) with { OccurredAt = default }));

        Assert.Equal(1, result.Accepted);
        var rejection = Assert.Single(result.Rejected);
        Assert.Equal(1, rejection.Position);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Reason));
        Assert.Equal(1.00m, await SpendEventuallyAsync(budget, 1.00m));
        Assert.Equal(1, (await tenant.Gateway("dp").GetGatewayDetailAsync()).Telemetry.EventsRejected);
    }

    [Fact]
    public async Task IngestTelemetry_KeyBoundToAnotherEnvironment_CountsTowardOrgButNotTheKey()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var tenant = await TenantAsync();
        var other = tenant.EnvironmentId + "-dev";
        await cluster.Grains.GetGrain<IEnvironmentGrain>(other).PutEnvironmentAsync(new EnvironmentDefinition(tenant.OrgId, "Dev"));
        await cluster.Grains.GetGrain<IOrgGrain>(tenant.OrgId).RegisterEnvironmentAsync(other);
        var keyBudget = await tenant.BudgetAsync(ScopeType.ApiKey, tenant.ApiKeyId);
        var orgBudget = await tenant.BudgetAsync(ScopeType.Org, tenant.OrgId);
        var devGateway = cluster.Grains.GetGrain<IGatewayGrain>(GatewayKey.Format(other, "dp-dev"));

        var result = await devGateway.IngestTelemetryAsync(Batch(Event("foreign-key", 2.00m) with { ApiKeyId = tenant.ApiKeyId }));

        Assert.Equal(1, result.Accepted);
        Assert.Equal(2.00m, await SpendEventuallyAsync(orgBudget, 2.00m));
        Assert.Equal(0m, (await keyBudget.GetBudgetStatusAsync())!.SpentUsd);
        Assert.Equal(1, (await devGateway.GetGatewayDetailAsync()).Telemetry.EventsUnboundKey);
    }

    [Fact]
    public async Task IngestTelemetry_BudgetStorageSlow_KeepsAcknowledgingAndCountsEverythingOnce()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var tenant = await TenantAsync();
        var budget = await tenant.BudgetAsync(ScopeType.Org, tenant.OrgId, limit: 1.00m);
        var fast = await tenant.BudgetAsync(ScopeType.Environment, tenant.EnvironmentId, limit: 1000m);
        var gateway = tenant.Gateway("dp");
        // Every batch makes the budget change state (threshold, then exceeded): each is a state write.
        FaultyGrainStorage.SlowWrites(budget.GetGrainId(), TimeSpan.FromSeconds(3));
        try
        {
            var slowest = TimeSpan.Zero;
            for (var i = 0; i < 4; i++)
            {
                var watch = Stopwatch.StartNew();
                var result = await gateway.IngestTelemetryAsync(Batch(Event($"slow-{i}", 0.45m)));
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                Assert.Equal(1, result.Accepted);
            }

            Assert.True(slowest < TimeSpan.FromSeconds(1), $"an acknowledgement took {slowest.TotalMilliseconds} ms");
            // A neighbour of the slow budget is not held up behind it.
            Assert.Equal(1.80m, await SpendEventuallyAsync(fast, 1.80m, TimeSpan.FromSeconds(2)));
        }
        finally
        {
            FaultyGrainStorage.Heal(budget.GetGrainId());
        }

        Assert.Equal(1.80m, await SpendEventuallyAsync(budget, 1.80m, TimeSpan.FromSeconds(30)));
        Assert.True((await budget.GetBudgetStatusAsync())!.Blocking);
    }

    [Fact]
    public async Task IngestTelemetry_RejectionsOfIngressAndGrain_AreCountedPerReasonAndSumToTheTotal()
    {
        var tenant = await TenantAsync();
        var gateway = tenant.Gateway("dp");
        var batch = Batch(
            Event("valid", 0m),
            Event("zero-time", 0m) with { OccurredAt = default },
            Event("too-expensive", 2_000_000_000_000_000m)) with
        {
            // What an ingress sends for four events it rejected, one of them without a reason (an older ingress).
            RejectedCount = 4,
            RejectedByReason = ImmutableDictionary.CreateRange(StringComparer.Ordinal, [
                KeyValuePair.Create(RejectionReasons.MissingField, 2), KeyValuePair.Create(RejectionReasons.TooOld, 1)]),
        };

        var result = await gateway.IngestTelemetryAsync(batch);

        Assert.Equal(1, result.Accepted);
        Assert.Equal([1, 2], result.Rejected.Select(r => r.Position));
        Assert.All(result.Rejected, r => Assert.Equal(RejectionReasons.Unstorable, r.Reason));
        var telemetry = (await gateway.GetGatewayDetailAsync()).Telemetry;
        Assert.Equal(6, telemetry.EventsRejected);
        Assert.Equal(2, telemetry.EventsRejectedByReason[RejectionReasons.MissingField]);
        Assert.Equal(1, telemetry.EventsRejectedByReason[RejectionReasons.TooOld]);
        Assert.Equal(1, telemetry.EventsRejectedByReason[RejectionReasons.Unclassified]);
        Assert.Equal(2, telemetry.EventsRejectedByReason[RejectionReasons.Unstorable]);
        Assert.Equal(telemetry.EventsRejected, telemetry.EventsRejectedByReason.Values.Sum());
    }

    [Fact]
    public async Task IngestTelemetry_FailedAttempts_CountAsErrorsAndOnlyTheGatewaysBudget429sAsBudgetDenied()
    {
        var tenant = await TenantAsync();
        var gateway = tenant.Gateway("dp");
        var batch = Batch(
            Event("ok", 0.10m),
            Event("budget", 0m) with { StatusCode = 429, ErrorClass = "billing_error" },
            Event("rate-limited", 0m) with { StatusCode = 429, ErrorClass = "upstream_status" },
            Event("upstream-down", 0m) with { StatusCode = 503, ErrorClass = "upstream_status" },
            Event("bad-request", 0m) with { StatusCode = 400 },
            Event("redirect", 0m) with { StatusCode = 302 });

        await gateway.IngestTelemetryAsync(batch);
        var again = await gateway.IngestTelemetryAsync(batch);

        Assert.Equal(6, again.Duplicates);
        var usage = (await gateway.GetGatewayDetailAsync()).Usage;
        Assert.Equal(4, usage.Errors);
        Assert.Equal(1, usage.BudgetDenied);
        Assert.Equal(6, usage.Requests);
    }

    [Fact]
    public async Task IngestTelemetry_GatewayActivatedAfterTheBudgets_RoutesByTheIndexItFetchedFromTheOrg()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var tenant = await TenantAsync();
        var budget = await tenant.BudgetAsync(ScopeType.Environment, tenant.EnvironmentId);
        var late = tenant.Gateway("dp-late-" + Guid.NewGuid().ToString("N")[..6]);

        var result = await late.IngestTelemetryAsync(Batch(Event("late", 1.25m)));

        Assert.Equal(1, result.Accepted);
        Assert.Equal([1.25m], await AttributedAsync(budget));
    }

    [Fact]
    public async Task IngestTelemetry_BudgetWhoseFirstDefinitionFailed_IsRoutedOnceTheOrgCompletesIt()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var tenant = await TenantAsync();
        var gateway = tenant.Gateway("dp");
        await gateway.IngestTelemetryAsync(Batch(Event("before", 1.00m)));
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        var budget = cluster.Grains.GetGrain<IBudgetGrain>(id);
        FaultyGrainStorage.FailWrites(budget.GetGrainId());
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.DefineAsync(id, ScopeType.Environment, tenant.EnvironmentId));
        FaultyGrainStorage.Heal(budget.GetGrainId());

        // The org's retry completes the definition, then tells the gateways the index's new version
        // (no change with it): the gateway, now behind, fetches the index.
        var deadline = Stopwatch.StartNew();
        while (await budget.GetBudgetAsync() is null && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }

        await Task.Delay(200);
        var result = await gateway.IngestTelemetryAsync(Batch(Event("after", 2.00m)));

        Assert.Equal(1, result.Accepted);
        Assert.Equal([2.00m], await AttributedAsync(budget));
    }

    /// <summary>What gateways routed to <paramref name="budget"/> this month, as stored (not the budget's spend, which a re-base would complete anyway).</summary>
    private async Task<decimal[]> AttributedAsync(IBudgetGrain budget) =>
        [.. (await cluster.Ledger.ReadBudgetAttributionsAsync(budget.GetPrimaryKeyString(), TestClock.Now.AddDays(-40))).Select(row => row.CostUsd)];

    private async Task<Tenant> TenantAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var tenant = new Tenant(cluster.Grains, "org-" + suffix, "env-" + suffix, "k-" + suffix);
        await cluster.Grains.GetGrain<IOrgGrain>(tenant.OrgId).PutOrgAsync(new OrgDefinition("Acme", FailMode.Sticky));
        await cluster.Grains.GetGrain<IEnvironmentGrain>(tenant.EnvironmentId).PutEnvironmentAsync(new EnvironmentDefinition(tenant.OrgId, "Prod"));
        await cluster.Grains.GetGrain<IOrgGrain>(tenant.OrgId).RegisterEnvironmentAsync(tenant.EnvironmentId);
        await cluster.Grains.GetGrain<IEnvironmentGrain>(tenant.EnvironmentId).UpsertApiKeyAsync(tenant.ApiKeyId, new ApiKeyBinding(tenant.EnvironmentId, "team", "user"));
        return tenant;
    }

    /// <summary>Budgets are told after the acknowledgement: their spend arrives a moment later.</summary>
    private static async Task<decimal> SpendEventuallyAsync(IBudgetGrain budget, decimal expected, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        decimal spent;
        while ((spent = (await budget.GetBudgetStatusAsync())!.SpentUsd) != expected && deadline.Elapsed < (within ?? TimeSpan.FromSeconds(5)))
        {
            await Task.Delay(20);
        }

        return spent;
    }

    private static TelemetryBatch Batch(params UsageEvent[] events) =>
        new() { Events = [.. events], ReceivedAt = TestClock.Now };

    private static UsageEvent Event(string requestId, decimal cost) => new()
    {
        RequestId = requestId,
        AttemptIndex = 0,
        OccurredAt = TestClock.Now,
        ModelId = "",
        ApiKeyId = "",
        PromptTokens = 100,
        CompletionTokens = 10,
        StatusCode = 200,
        UpstreamLatencyMs = 50,
        ReportedCostUsd = cost,
    };

    private sealed record Tenant(IGrainFactory Grains, string OrgId, string EnvironmentId, string ApiKeyId)
    {
        public IGatewayGrain Gateway(string dpId) => Grains.GetGrain<IGatewayGrain>(GatewayKey.Format(EnvironmentId, dpId));

        public async Task<IBudgetGrain> BudgetAsync(ScopeType type, string reference, string zone = "UTC", decimal limit = 100m)
        {
            var id = "b-" + Guid.NewGuid().ToString("N")[..12];
            await DefineAsync(id, type, reference, zone, limit);
            return Grains.GetGrain<IBudgetGrain>(id);
        }

        public Task DefineAsync(string id, ScopeType type, string reference, string zone = "UTC", decimal limit = 100m)
        {
            var policy = new BudgetPolicy
            {
                OrgId = OrgId,
                Name = id,
                Scope = new BudgetScope(type, reference),
                LimitUsd = limit,
                Period = BudgetPeriod.Month,
                Mode = BudgetMode.HardStop,
                TimeZone = zone,
                Thresholds = ImmutableArray.Create(0.8m),
            };
            return Grains.GetGrain<IOrgGrain>(OrgId).DefineBudgetAsync(id, policy);
        }
    }
}
