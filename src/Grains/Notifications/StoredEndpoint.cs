using BudgetCluster.Grains.Abstractions.Notifications;

namespace BudgetCluster.Grains.Notifications;

/// <summary>An endpoint with what the admin API never shows: its secrets, and its latest attempts.</summary>
[GenerateSerializer]
[Alias("budgetcluster.stored-webhook-endpoint.v1")]
public sealed class StoredEndpoint
{
    [Id(0)] public required WebhookEndpoint Endpoint { get; set; }
    [Id(1)] public required string Secret { get; set; }
    /// <summary>The secret before the last rotation; it signs too until <see cref="WebhookEndpoint.PreviousSecretExpiresAt"/>.</summary>
    [Id(2)] public string? PreviousSecret { get; set; }
    /// <summary>The latest attempts, oldest first, at most <see cref="WebhooksGrain.AttemptsKept"/>.</summary>
    [Id(3)] public List<WebhookAttempt> Attempts { get; set; } = [];
}
