namespace BudgetCluster.Grains.Notifications;

/// <summary>A message still to be delivered to an endpoint: how many attempts failed, since when, and when the next is due.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.pending-delivery")]
public sealed record PendingDelivery(
    [property: Id(0)] string EndpointId,
    [property: Id(1)] WebhookMessage Message,
    [property: Id(2)] int FailedAttempts,
    [property: Id(3)] DateTimeOffset? FirstAttemptAt,
    [property: Id(4)] DateTimeOffset NextAttemptAt);
