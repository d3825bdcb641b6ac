using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// Where environment catalogs are published: one stream per environment, on the budget stream
/// provider (<see cref="BudgetStreams.Provider"/>), so the silos and ingress processes need no
/// provider of their own. Every item is a whole <see cref="EnvironmentCatalog"/>; a consumer keeps
/// the one with the highest <see cref="EnvironmentCatalog.Version"/>, so a late or repeated item
/// never takes a change back.
/// </summary>
public static class CatalogStreams
{
    /// <summary>The Orleans stream provider name (the budget streams' provider).</summary>
    public const string Provider = BudgetStreams.Provider;

    /// <summary>The stream namespace; the stream key is the environment id.</summary>
    public const string Namespace = "environment-catalogs";
}
