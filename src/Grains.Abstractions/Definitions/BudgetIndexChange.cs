namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// One change of an organization's <see cref="BudgetIndex"/>, pushed to its gateways instead of the
/// whole index, so a change costs the same whatever the org's size. It takes the index from
/// <c>Version - 1</c> to <see cref="Version"/>: <see cref="BudgetId"/> now has <see cref="Entry"/>,
/// or is gone when <see cref="Entry"/> is null. With no <see cref="BudgetId"/> it only says which
/// version the index has reached (a repair after a failed push): a gateway behind fetches the index.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-index-change")]
public sealed record BudgetIndexChange(
    [property: Id(0)] long Version,
    [property: Id(1)] string? BudgetId,
    [property: Id(2)] BudgetIndexEntry? Entry);
