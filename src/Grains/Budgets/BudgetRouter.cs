using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// Which budgets an event counts toward, and in which of their periods: the budgets of its
/// organization, its environment and its model's provider key, and, when its API key is bound to
/// the gateway's environment, the key's own, its team's and its member's (team and member budgets
/// are org-wide, so they collect from every environment, each through keys bound there). Resolving
/// an event is dictionary lookups, never a call. One gateway grain owns each router and changes it
/// in place, between its turns: a new catalog (<see cref="UseCatalog"/>), a whole budget index
/// (<see cref="UseIndex"/>) or one change of it (<see cref="TryApply"/>, the cost of one budget
/// whatever the org's size).
/// </summary>
public sealed class BudgetRouter
{
    private readonly string _environmentId;
    private readonly Dictionary<string, BudgetIndexEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<(ScopeType, string), Route[]> _routes = [];
    private EnvironmentCatalog _catalog;

    private BudgetRouter(string environmentId, EnvironmentCatalog catalog)
    {
        _environmentId = environmentId;
        _catalog = catalog;
    }

    public long CatalogVersion => _catalog.Version;

    /// <summary>The version of the budget index routed by; -1 before any.</summary>
    public long IndexVersion { get; private set; } = -1;

    public static BudgetRouter For(string environmentId, EnvironmentCatalog catalog, BudgetIndex? index = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var router = new BudgetRouter(environmentId, catalog);
        if (index is not null)
        {
            router.UseIndex(index);
        }

        return router;
    }

    /// <summary>Prices and bindings from now on come from <paramref name="catalog"/>; the budget index stays.</summary>
    public void UseCatalog(EnvironmentCatalog catalog) => _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));

    /// <summary>Routes by <paramref name="index"/> from now on, in place of every entry before.</summary>
    public void UseIndex(BudgetIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        _entries.Clear();
        _routes.Clear();
        foreach (var (budgetId, entry) in index.Entries)
        {
            _entries[budgetId] = entry;
        }

        foreach (var group in index.Entries.Values.GroupBy(entry => (entry.Scope.Type, entry.Scope.Ref)))
        {
            _routes[group.Key] = [.. group.OrderBy(entry => entry.BudgetId, StringComparer.Ordinal).Select(Route.Of)];
        }

        IndexVersion = index.Version;
    }

    /// <summary>
    /// Applies <paramref name="change"/> when it follows <see cref="IndexVersion"/>; true when it did
    /// or when it is not newer. False when changes are missing before it (or it carries none): the
    /// caller fetches the whole index.
    /// </summary>
    public bool TryApply(BudgetIndexChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Version <= IndexVersion)
        {
            return true;
        }

        if (change.Version != IndexVersion + 1 || change.BudgetId is not { } budgetId)
        {
            return false;
        }

        if (_entries.Remove(budgetId, out var old))
        {
            Reroute((old.Scope.Type, old.Scope.Ref), routes => routes.Where(route => route.BudgetId != budgetId));
        }

        if (change.Entry is { } entry)
        {
            _entries[budgetId] = entry;
            Reroute((entry.Scope.Type, entry.Scope.Ref), routes => routes.Append(Route.Of(entry)).OrderBy(route => route.BudgetId, StringComparer.Ordinal));
        }

        IndexVersion = change.Version;
        return true;
    }

    /// <summary>Replaces one scope's routes (a handful of budgets at most), dropping the scope when none remain.</summary>
    private void Reroute((ScopeType, string) scope, Func<IEnumerable<Route>, IEnumerable<Route>> change)
    {
        var routes = change(_routes.GetValueOrDefault(scope) ?? []).ToArray();
        if (routes.Length == 0)
        {
            _routes.Remove(scope);
        }
        else
        {
            _routes[scope] = routes;
        }
    }

    /// <summary>The budgets <paramref name="usage"/> counts toward, each with the period it occurred in.</summary>
    public ImmutableArray<BudgetAttribution> Attribute(UsageEvent usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (_routes.Count == 0)
        {
            return [];
        }

        var attributions = ImmutableArray.CreateBuilder<BudgetAttribution>();
        Add(ScopeType.Org, _catalog.OrgId);
        Add(ScopeType.Environment, _environmentId);
        if (_catalog.Models.TryGetValue(usage.ModelId, out var model))
        {
            Add(ScopeType.ProviderKey, model.ProviderKeyId);
        }

        // A gateway speaks for its own environment only: a key it does not hold there cannot
        // spend another environment's key, team or member budget.
        if (BindingOf(usage.ApiKeyId) is { } binding)
        {
            Add(ScopeType.ApiKey, usage.ApiKeyId);
            Add(ScopeType.Team, binding.TeamId);
            Add(ScopeType.Member, binding.UserId);
        }

        return attributions.ToImmutable();

        void Add(ScopeType type, string? reference)
        {
            if (string.IsNullOrEmpty(reference) || !_routes.TryGetValue((type, reference), out var routes))
            {
                return;
            }

            foreach (var route in routes)
            {
                attributions.Add(new BudgetAttribution(route.BudgetId, PeriodCalendar.Containing(usage.OccurredAt, route.Period, route.Zone).Start));
            }
        }
    }

    /// <summary>
    /// The binding of an API key when it is bound to this router's environment; null for no key, an
    /// unknown key or a key of another environment (an "unbound key" in the gateway's telemetry).
    /// </summary>
    public ApiKeyBinding? BindingOf(string apiKeyId) =>
        !string.IsNullOrEmpty(apiKeyId) && _catalog.ApiKeys.TryGetValue(apiKeyId, out var binding) && binding.EnvironmentId == _environmentId
            ? binding
            : null;

    private sealed record Route(string BudgetId, BudgetPeriod Period, TimeZoneInfo Zone)
    {
        // The runtime caches zones by id, so a whole index looks each one up once.
        public static Route Of(BudgetIndexEntry entry) => new(entry.BudgetId, entry.Period, TimeZoneInfo.FindSystemTimeZoneById(entry.TimeZone));
    }
}
