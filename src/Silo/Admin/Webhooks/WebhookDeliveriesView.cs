namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary><c>GET …/webhooks/{webhook_id}/deliveries</c>: the latest 100 attempts, newest first.</summary>
public sealed record WebhookDeliveriesView(IReadOnlyList<WebhookAttemptView> Data);
