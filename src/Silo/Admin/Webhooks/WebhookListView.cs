namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary><c>GET /orgs/{org_id}/webhooks</c>: the org's endpoints, sorted by id.</summary>
public sealed record WebhookListView(IReadOnlyList<WebhookView> Data);
