using BudgetCluster.Grains.Notifications;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// The webhook sender of the grain test clusters: their orgs define no webhook endpoints, so nothing
/// is ever sent (budgets still hand their transitions to the webhooks grain, which queues nothing).
/// Deliveries are tested through the silo, with a real HTTP receiver.
/// </summary>
internal sealed class NoWebhookSender : IWebhookSender
{
    public Task<SendOutcome> SendAsync(string orgId, string url, IReadOnlyList<byte[]> keys, WebhookMessage message, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the grain test clusters define no webhook endpoints");
}
