using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// The webhooks grain's queue (API.md §10): a budget's transitions reach an endpoint in version
/// order, one at a time, and a hand-over repeated after a crash adds nothing. The grain test
/// cluster's sender fails every attempt, so the attempts show what was sent.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class WebhookQueueTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task Enqueue_TwoTransitionsHandedOverTwice_OnlyTheFirstIsAttempted_Once()
    {
        var orgId = "org-" + Guid.NewGuid().ToString("N")[..12];
        var webhooks = cluster.Grains.GetGrain<IWebhooksGrain>(orgId);
        await webhooks.PutWebhookAsync("ops", new WebhookPut("https://hooks.example.com/x", [WebhookEventTypes.Threshold, WebhookEventTypes.Exceeded], true));
        var (threshold, exceeded) = (Notification(orgId, "b-1", 1, WebhookEventTypes.Threshold), Notification(orgId, "b-1", 2, WebhookEventTypes.Exceeded));
        var other = Notification(orgId, "b-2", 7, WebhookEventTypes.Exceeded);

        await webhooks.EnqueueAsync([exceeded, threshold, other]);
        await webhooks.EnqueueAsync([threshold, exceeded]);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var attempts = await webhooks.ListDeliveriesAsync("ops");

        // b-1's exceeded waits behind its failing threshold; b-2 is not held up by b-1.
        Assert.NotNull(attempts);
        Assert.Equal([threshold.EventId, other.EventId], attempts.Value.Select(a => a.EventId).Order(StringComparer.Ordinal));
        Assert.All(attempts.Value, a => Assert.Equal((1, "the grain test clusters define no webhook endpoints"), (a.Attempt, a.Error)));
    }

    private static BudgetNotification Notification(string orgId, string budgetId, long version, string type) => new(
        BudgetNotification.IdOf(budgetId, version),
        type,
        TestClock.Now,
        new BudgetStatus
        {
            BudgetId = budgetId,
            Policy = new BudgetPolicy
            {
                OrgId = orgId,
                Name = "monthly",
                Scope = new BudgetScope(ScopeType.Org, orgId),
                LimitUsd = 1m,
                Period = BudgetPeriod.Month,
                Mode = BudgetMode.HardStop,
                TimeZone = "UTC",
                Thresholds = [0.8m],
            },
            State = BudgetState.Exceeded,
            Blocking = true,
            SpentUsd = 1.5m,
            PeriodStart = TestClock.Now.AddDays(-1),
            PeriodResetsAt = TestClock.Now.AddDays(1),
            Version = version,
        },
        null);
}
