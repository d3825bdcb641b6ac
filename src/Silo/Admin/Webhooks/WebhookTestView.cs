namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary><c>POST …/webhooks/{webhook_id}/test</c>: the id of the queued <c>webhook.test</c> event.</summary>
public sealed record WebhookTestView(string EventId);
