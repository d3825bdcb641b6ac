namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>
/// One delivery attempt of an event to an endpoint (API.md §10, <c>/deliveries</c>). <see cref="DeliveredAt"/>
/// is set on a 2xx; <see cref="NextAttemptAt"/> when another attempt is scheduled; neither when the
/// delivery has failed for good.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.webhook-attempt")]
public sealed record WebhookAttempt(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] int Attempt,
    [property: Id(3)] int? StatusCode,
    [property: Id(4)] string? Error,
    [property: Id(5)] DateTimeOffset AttemptedAt,
    [property: Id(6)] DateTimeOffset? DeliveredAt,
    [property: Id(7)] DateTimeOffset? NextAttemptAt);
