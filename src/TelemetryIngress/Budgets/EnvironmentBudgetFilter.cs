using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// Which of an org's budgets the SSE stream of one environment reports (API.md §3,
/// <c>budget_events</c>): org-wide scopes (org, team, member, whose spend may come from any of the
/// org's environments), the environment itself, and the keys and provider keys used in it.
/// Judged by the catalog as it is now, since keys and models come and go.
/// </summary>
internal static class EnvironmentBudgetFilter
{
    public static bool Concerns(BudgetScope scope, string environmentId, EnvironmentCatalog catalog) => scope.Type switch
    {
        ScopeType.Org or ScopeType.Team or ScopeType.Member => true,
        ScopeType.Environment => scope.Ref == environmentId,
        ScopeType.ApiKey => catalog.ApiKeys.ContainsKey(scope.Ref),
        ScopeType.ProviderKey => catalog.Models.Values.Any(model => model.ProviderKeyId == scope.Ref),
        _ => false,
    };

    /// <summary>The budgets of the first, <c>snapshot</c>, event: those that concern the environment and are not ok, by budget id.</summary>
    public static IEnumerable<BudgetStatus> Snapshot(IEnumerable<BudgetStatus> statuses, string environmentId, EnvironmentCatalog catalog) =>
        statuses
            .Where(s => s.State != BudgetState.Ok && Concerns(s.Policy.Scope, environmentId, catalog))
            .OrderBy(s => s.BudgetId, StringComparer.Ordinal);
}
