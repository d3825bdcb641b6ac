using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary><c>PUT /orgs/{org_id}/webhooks/{webhook_id}</c>, checked by the admin API: an allowed URL and known event types.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.webhook-put")]
public sealed record WebhookPut(
    [property: Id(0)] string Url,
    [property: Id(1)] ImmutableArray<string> Events,
    [property: Id(2)] bool Enabled);
