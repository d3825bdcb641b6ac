using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>The organization-wide part of an environment's catalog: fail mode and budget index.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.org-settings")]
public sealed record OrgSettings
{
    /// <summary>Increases with every change of the organization's settings.</summary>
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required FailMode FailMode { get; init; }
    [Id(2)] public required ImmutableArray<BudgetIndexEntry> Budgets { get; init; }
}
