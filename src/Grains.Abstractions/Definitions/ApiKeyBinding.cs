namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>Where an API key belongs: its environment and, optionally, its team and member.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.api-key-binding")]
public sealed record ApiKeyBinding(
    [property: Id(0)] string EnvironmentId,
    [property: Id(1)] string? TeamId,
    [property: Id(2)] string? UserId);
