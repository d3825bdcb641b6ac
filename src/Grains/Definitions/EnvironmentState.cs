using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.Grains.Definitions;


/// <summary>Persisted state of an <see cref="EnvironmentGrain"/>.</summary>
[GenerateSerializer]
[Alias("budgetcluster.environment-state.v1")]
public sealed class EnvironmentState
{
    [Id(0)] public EnvironmentDefinition? Definition { get; set; }
    [Id(1)] public Dictionary<string, ModelDefinition> Models { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public Dictionary<string, ApiKeyBinding> ApiKeys { get; set; } = new(StringComparer.Ordinal);
    [Id(3)] public SortedSet<string> Gateways { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Increases with every catalog change, across restarts, so gateways can ignore stale pushes.</summary>
    [Id(4)] public long CatalogVersion { get; set; }
    /// <summary>The organization's settings as last pushed by the org.</summary>
    [Id(5)] public OrgSettings? Org { get; set; }
    /// <summary>The gateway certificates issued here, by serial.</summary>
    [Id(6)] public Dictionary<string, GatewayCertificate> Certificates { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The org a deleted environment belonged to: the ledger keeps its usage under this id, so the id never moves to another org.</summary>
    [Id(7)] public string? DeletedFromOrg { get; set; }
}
