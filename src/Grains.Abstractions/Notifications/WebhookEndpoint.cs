using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>
/// A webhook endpoint of an org as the admin API shows it; its secrets are never part of it.
/// <see cref="PreviousSecretExpiresAt"/>: until when the secret before the last rotation still
/// signs too (null when none does).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.webhook-endpoint")]
public sealed record WebhookEndpoint(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] ImmutableArray<string> Events,
    [property: Id(3)] bool Enabled,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? PreviousSecretExpiresAt);
