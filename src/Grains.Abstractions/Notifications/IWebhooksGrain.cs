using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>
/// An org's webhook endpoints and their deliveries (API.md §10). Key: <c>org_id</c>. Holds each
/// endpoint's secrets, a durable queue of deliveries (an entry leaves it only after a 2xx, or after
/// 3 days of failed attempts) and the latest attempts per endpoint.
/// </summary>
[Alias("budgetcluster.webhooks")]
public interface IWebhooksGrain : IGrainWithStringKey
{
    /// <summary>Creates (with a new secret, returned once) or replaces an endpoint; idempotent but for the secret of a creation.</summary>
    [Alias("put-webhook")]
    Task<WebhookPutResult> PutWebhookAsync(string webhookId, WebhookPut put);

    [Alias("get-webhook")]
    Task<WebhookEndpoint?> GetWebhookAsync(string webhookId);

    /// <summary>Every endpoint, sorted by id.</summary>
    [Alias("list-webhooks")]
    Task<ImmutableArray<WebhookEndpoint>> ListWebhooksAsync();

    /// <summary>Deletes the endpoint and its pending deliveries; false when it does not exist.</summary>
    [Alias("delete-webhook")]
    Task<bool> DeleteWebhookAsync(string webhookId);

    /// <summary>A new secret (returned once); the one before keeps signing for 24 h. Null for an unknown endpoint.</summary>
    [Alias("rotate-webhook-secret")]
    Task<WebhookPutResult?> RotateSecretAsync(string webhookId);

    /// <summary>Queues a <c>webhook.test</c> event to the endpoint; its id, or null for an unknown endpoint.</summary>
    [Alias("test-webhook")]
    Task<string?> SendTestAsync(string webhookId);

    /// <summary>The endpoint's latest attempts (at most 100), newest first; null for an unknown endpoint.</summary>
    [Alias("list-webhook-deliveries")]
    Task<ImmutableArray<WebhookAttempt>?> ListDeliveriesAsync(string webhookId);

    /// <summary>
    /// Takes a budget's transitions into the delivery queue, durably when it returns, for every
    /// enabled endpoint subscribed to each type. Idempotent: a transition at or below a version
    /// already taken from that budget is ignored, so a budget may hand its outbox over again.
    /// </summary>
    [Alias("enqueue-budget-notifications")]
    Task EnqueueAsync(ImmutableArray<BudgetNotification> notifications);

    /// <summary>
    /// Records, durably, that a budget is about to store notifications up to <paramref name="version"/>
    /// in its outbox; a budget calls it before that write, so a crash between the write and the
    /// hand-over leaves a record that a silo's sweep follows (<see cref="ListExpectedAsync"/>).
    /// Taking that budget's notifications up to the version clears it.
    /// </summary>
    [Alias("expect-budget-notifications")]
    Task ExpectAsync(string budgetId, long version);

    /// <summary>The budgets whose notifications are expected and not yet taken.</summary>
    [Alias("list-expected-budgets")]
    Task<ImmutableArray<string>> ListExpectedAsync();

    /// <summary>Clears the record of a budget that has nothing left to hand over at <paramref name="version"/>.</summary>
    [Alias("settle-expected-budget")]
    Task SettleExpectedAsync(string budgetId, long version);

    /// <summary>Starts delivering what is due; a silo's sweep calls it so that a queue left by a dead silo resumes.</summary>
    [Alias("wake-webhooks")]
    Task WakeAsync();
}
