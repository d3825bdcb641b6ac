namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// Sends one attempt of a webhook message over HTTP (the silo's implementation writes the body,
/// signs it and applies the address rules and the per-attempt timeout). Never throws for a
/// delivery that failed: the outcome says why.
/// </summary>
public interface IWebhookSender
{
    Task<SendOutcome> SendAsync(string orgId, string url, IReadOnlyList<byte[]> keys, WebhookMessage message, CancellationToken cancellationToken);
}
