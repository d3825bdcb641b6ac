namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary><c>PUT /orgs/{org_id}/webhooks/{webhook_id}</c> body.</summary>
public sealed class WebhookEndpointBody
{
    public string? Url { get; set; }
    public List<string?>? Events { get; set; }
    public bool? Enabled { get; set; }
}
