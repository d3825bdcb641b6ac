using BudgetCluster.Grains.Abstractions.Notifications;

namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// What one delivery sends: an event id (the <c>webhook-id</c> of every attempt), its type, when it
/// happened, and the budget transition it tells of (null for a <c>webhook.test</c> event).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.webhook-message")]
public sealed record WebhookMessage(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset OccurredAt,
    [property: Id(3)] BudgetNotification? Budget,
    [property: Id(4)] string? WebhookId);
