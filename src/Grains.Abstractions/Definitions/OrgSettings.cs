namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// The organization-wide part of an environment's catalog: its fail mode. (The budget index is not
/// here: it reaches gateways as <see cref="BudgetIndexChange"/>s, see <see cref="IOrgGrain.GetBudgetIndexAsync"/>.)
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.org-settings")]
public sealed record OrgSettings
{
    /// <summary>Increases with every change of the organization's settings.</summary>
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required FailMode FailMode { get; init; }
}
