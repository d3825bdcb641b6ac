using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.TestSupport;
using Orleans.Core.Internal;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// A budget's notifications are not lost when its activation ends between storing them and handing
/// them to its org's webhooks: the webhooks grain still names the budget as expected, and what a
/// silo's sweep does (ask it to hand over, then settle) queues them.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class NotificationHandOverTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task ActivationLostBeforeTheHandOver_TheSweepsRequestHandsItOverAndSettles()
    {
        await TestClock.AwayFromPeriodBoundaryAsync();
        var id = "b-" + Guid.NewGuid().ToString("N")[..12];
        var orgId = "org-" + id;
        var webhooks = cluster.Grains.GetGrain<IWebhooksGrain>(orgId);
        await webhooks.PutWebhookAsync("ops", new WebhookPut("https://hooks.example.com/x", [WebhookEventTypes.Exceeded], true));
        var budget = cluster.Grains.GetGrain<IBudgetGrain>(id);
        await budget.DefineBudgetAsync(new BudgetPolicy
        {
            OrgId = orgId,
            Name = "monthly",
            Scope = new BudgetScope(ScopeType.Org, orgId),
            LimitUsd = 1m,
            Period = BudgetPeriod.Month,
            Mode = BudgetMode.HardStop,
            TimeZone = "UTC",
            Thresholds = [0.8m],
        });
        // The budget already announced notifications the webhooks have not taken (recorded before a
        // crash); then every write of the webhooks grain fails, so this hand-over fails too.
        await webhooks.ExpectAsync(id, long.MaxValue - 1);
        FaultyGrainStorage.FailWrites(webhooks.GetGrainId());
        var month = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Month, TimeZoneInfo.Utc);
        var gateway = "env-" + id + "/dp";
        LedgerEntry[] rows = [Ledger.UsageLedgerContract.Entry("env-" + id, "dp", "r-1", 0, 1, 1.50m) with
        {
            OccurredAt = TestClock.Now,
            ReceivedAt = TestClock.Now,
            Attributions = [new BudgetAttribution(id, month.Start)],
        }];
        await cluster.Ledger.AppendAsync(rows);
        await budget.ApplyUsageAsync(BudgetDeltas.FromBatch(gateway, rows, [true]).Single().Usage);
        var stored = await cluster.StoredBudgetAsync(id);
        // The activation ends (its retries with it); the webhooks come back.
        await budget.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        FaultyGrainStorage.Heal(webhooks.GetGrainId());

        var expected = await webhooks.ListExpectedAsync();
        var version = await budget.HandOverNotificationsAsync();
        await webhooks.SettleExpectedAsync(id, long.MaxValue - 1);
        var deliveries = await WaitForAttemptAsync(webhooks);

        // Stored with the budget: the threshold it passed on the way and the exceeded (the endpoint's one).
        Assert.Equal([WebhookEventTypes.Threshold, WebhookEventTypes.Exceeded], stored.Outbox.Select(n => n.Type));
        var notification = stored.Outbox.Single(n => n.Type == WebhookEventTypes.Exceeded);
        Assert.Contains(id, expected);
        Assert.NotNull(version);
        Assert.Equal(notification.EventId, deliveries[0].EventId);
        Assert.DoesNotContain(id, await webhooks.ListExpectedAsync());
    }

    private static async Task<ImmutableArray<WebhookAttempt>> WaitForAttemptAsync(IWebhooksGrain webhooks)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var attempts = await webhooks.ListDeliveriesAsync("ops");
            if (attempts is { Length: > 0 } some)
            {
                return some;
            }

            Assert.True(DateTime.UtcNow < deadline, "the notification was never queued for delivery");
            await Task.Delay(100);
        }
    }
}
