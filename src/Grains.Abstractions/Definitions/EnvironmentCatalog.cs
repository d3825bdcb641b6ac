using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// Everything a gateway grain needs to price and attribute events of its environment,
/// cached by the gateway grain and replaced whole when any part changes.
/// <see cref="Version"/> increases with every change.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.environment-catalog")]
public sealed record EnvironmentCatalog
{
    [Id(0)] public required long Version { get; init; }
    /// <summary>Null while the environment does not exist.</summary>
    [Id(1)] public string? OrgId { get; init; }
    [Id(2)] public required ImmutableDictionary<string, ModelDefinition> Models { get; init; }
    [Id(3)] public required ImmutableDictionary<string, ApiKeyBinding> ApiKeys { get; init; }
    /// <summary>The organization's fail mode and budget index; null until the environment is registered with its org.</summary>
    [Id(4)] public OrgSettings? Org { get; init; }
    /// <summary>
    /// The serials (lowercase hex) of this environment's revoked gateway certificates that have
    /// not expired yet, with when each was revoked: the data plane refuses them.
    /// </summary>
    [Id(5)] public ImmutableDictionary<string, DateTimeOffset> RevokedCertificates { get; init; } =
        ImmutableDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal);

    public static EnvironmentCatalog Empty { get; } = new()
    {
        Version = 0,
        Models = ImmutableDictionary<string, ModelDefinition>.Empty.WithComparers(StringComparer.Ordinal),
        ApiKeys = ImmutableDictionary<string, ApiKeyBinding>.Empty.WithComparers(StringComparer.Ordinal),
    };
}
