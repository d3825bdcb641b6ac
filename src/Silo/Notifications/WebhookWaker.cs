using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Notifications;

/// <summary>
/// Every <see cref="WebhookOptions.WakeInterval"/>, wakes each org's webhooks grain, so deliveries
/// queued on a silo that died resume on another within the interval, with no traffic needed.
/// </summary>
internal sealed class WebhookWaker(IGrainFactory grains, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookWaker> logger)
    : OrgSweep(grains, time, logger)
{
    protected override TimeSpan Interval => options.Value.WakeInterval;

    protected override async Task VisitAsync(IGrainFactory grains, string orgId)
    {
        var webhooks = grains.GetGrain<IWebhooksGrain>(orgId);
        await webhooks.WakeAsync();
        // Budgets that announced notifications not taken yet (their silo may have died between
        // storing and handing them over): each hands over what it holds, then the record is cleared.
        foreach (var budgetId in await webhooks.ListExpectedAsync())
        {
            if (await grains.GetGrain<IBudgetGrain>(budgetId).HandOverNotificationsAsync() is { } version)
            {
                await webhooks.SettleExpectedAsync(budgetId, version);
            }
        }
    }
}
