namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>The endpoint stored, and its secret when it was created (or rotated): the only time the secret is shown.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.webhook-put-result")]
public sealed record WebhookPutResult(
    [property: Id(0)] WebhookEndpoint Endpoint,
    [property: Id(1)] string? Secret);
