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

    protected override Task VisitAsync(IGrainFactory grains, string orgId) => grains.GetGrain<IWebhooksGrain>(orgId).WakeAsync();
}
