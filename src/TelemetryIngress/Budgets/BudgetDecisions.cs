using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// What the data plane endpoints ask about budgets, answered from memory: the environment's
/// catalog (<see cref="CatalogCache"/>), the org's budget statuses (<see cref="OrgBudgetViews"/>)
/// and, between the two, the decision rule (<see cref="BudgetDecisionRule"/>).
/// </summary>
public sealed class BudgetDecisions(CatalogCache catalogs, OrgBudgetViews orgs, TimeProvider time)
{
    /// <summary>Identifies this process in SSE event ids.</summary>
    internal string InstanceId => orgs.InstanceId;

    /// <summary>The decision for API key <paramref name="apiKeyId"/>, or null when the key is not in the environment.</summary>
    internal async Task<BudgetDecision?> DecideAsync(string environmentId, string apiKeyId)
    {
        var catalog = await catalogs.GetKnowingAsync(environmentId, apiKeyId);
        if (catalog.OrgId is null || !catalog.ApiKeys.TryGetValue(apiKeyId, out var binding))
        {
            return null;
        }

        var key = new BudgetCheckKey(catalog.OrgId, environmentId, apiKeyId, binding);
        var view = await orgs.GetAsync(catalog.OrgId);
        var failMode = catalog.Org?.FailMode ?? FailMode.Sticky;
        return BudgetDecisionRule.Decide(key, failMode, view.BudgetsFor(BudgetDecisionRule.ScopesOf(key)), time.GetUtcNow());
    }

    /// <summary>The org view of an environment and the catalog that says which of its budgets concern it.</summary>
    internal async Task<(OrgBudgetView? View, EnvironmentCatalog Catalog)> EnvironmentViewAsync(string environmentId)
    {
        var catalog = await catalogs.GetAsync(environmentId);
        return catalog.OrgId is null ? (null, catalog) : (await orgs.GetAsync(catalog.OrgId), catalog);
    }

    /// <summary>The environment's catalog as held here.</summary>
    internal Task<EnvironmentCatalog> CatalogOfAsync(string environmentId) => catalogs.GetAsync(environmentId);

    /// <inheritdoc cref="OrgBudgetViews.Observe"/>
    internal void Observe(IEnumerable<BudgetStatus> statuses) => orgs.Observe(statuses);
}
