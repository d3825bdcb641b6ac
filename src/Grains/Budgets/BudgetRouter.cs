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
/// are org-wide, so they collect from every environment, each through keys bound there). Built once
/// per catalog version, so resolving an event is dictionary lookups, never a call.
/// </summary>
public sealed class BudgetRouter
{
    private readonly string _environmentId;
    private readonly EnvironmentCatalog _catalog;
    private readonly Dictionary<(ScopeType, string), Route[]> _routes;

    private BudgetRouter(string environmentId, EnvironmentCatalog catalog, Dictionary<(ScopeType, string), Route[]> routes)
    {
        _environmentId = environmentId;
        _catalog = catalog;
        _routes = routes;
    }

    public long CatalogVersion => _catalog.Version;

    public static BudgetRouter For(string environmentId, EnvironmentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var zones = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal);
        var routes = (catalog.Org?.Budgets ?? [])
            .GroupBy(entry => (entry.Scope.Type, entry.Scope.Ref))
            .ToDictionary(
                group => group.Key,
                group => group.Select(entry => new Route(entry.BudgetId, entry.Period, Zone(entry.TimeZone))).ToArray());
        return new BudgetRouter(environmentId, catalog, routes);

        TimeZoneInfo Zone(string id)
        {
            if (!zones.TryGetValue(id, out var zone))
            {
                zones[id] = zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            }

            return zone;
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

    private sealed record Route(string BudgetId, BudgetPeriod Period, TimeZoneInfo Zone);
}
