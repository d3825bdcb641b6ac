using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// A budget's scope and period as a rollup query: the stored events that <see cref="BudgetRouter"/>
/// routes to a budget of that scope, whatever budgets existed when they came. Organization,
/// provider key, team and member budgets count across the org's environments; API key, team and
/// member budgets only events whose key was bound to the sending environment (API.md §3).
/// </summary>
public static class BudgetScopeQuery
{
    /// <param name="scope">The budget's scope.</param>
    /// <param name="orgEnvironments">The environments of the budget's organization.</param>
    /// <param name="period">The period to sum, on whole minutes.</param>
    /// <returns>The query, or null when the period does not start and end on whole minutes (no rollup can answer it).</returns>
    public static RollupQuery? For(BudgetScope scope, ImmutableArray<string> orgEnvironments, PeriodWindow period)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (period.Start.UtcTicks % TimeSpan.TicksPerMinute != 0 || period.End.UtcTicks % TimeSpan.TicksPerMinute != 0)
        {
            return null;
        }

        var query = new RollupQuery { EnvironmentIds = orgEnvironments, Boundaries = [period.Start, period.End] };
        return scope.Type switch
        {
            ScopeType.Org => query,
            ScopeType.Environment => query with { EnvironmentIds = orgEnvironments.Contains(scope.Ref) ? [scope.Ref] : [] },
            ScopeType.ProviderKey => query with { Filters = Only(UsageDimension.ProviderKey, scope.Ref) },
            ScopeType.ApiKey => query with { Filters = Only(UsageDimension.ApiKey, scope.Ref), KeyBoundOnly = true },
            ScopeType.Team => query with { Filters = Only(UsageDimension.Team, scope.Ref), KeyBoundOnly = true },
            ScopeType.Member => query with { Filters = Only(UsageDimension.Member, scope.Ref), KeyBoundOnly = true },
            _ => throw new ArgumentOutOfRangeException(nameof(scope), scope.Type, "unknown scope type"),
        };
    }

    private static ImmutableDictionary<UsageDimension, ImmutableArray<string>> Only(UsageDimension dimension, string value) =>
        ImmutableDictionary<UsageDimension, ImmutableArray<string>>.Empty.Add(dimension, [value]);
}
