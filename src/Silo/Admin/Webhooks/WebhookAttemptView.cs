namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary>One delivery attempt (API.md §10): <c>delivered_at</c> on a 2xx, <c>next_attempt_at</c> when another is scheduled, neither once it has failed for good.</summary>
public sealed record WebhookAttemptView(
    string EventId, string Type, int Attempt, int? StatusCode, string? Error, string AttemptedAt, string? DeliveredAt, string? NextAttemptAt);
