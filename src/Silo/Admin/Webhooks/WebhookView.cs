namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary>
/// A webhook endpoint as the admin API shows it. <c>secret</c> (<c>whsec_…</c>) only in the answer
/// that created it or rotated it: it is never shown again.
/// </summary>
public sealed record WebhookView(
    string WebhookId,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string CreatedAt,
    string? PreviousSecretExpiresAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret);
