using System.Collections.Concurrent;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// Budget decisions and pushes for the data plane, answered from memory: per environment its
/// catalog (org, keys, models; refreshed in the background every few seconds, and at once for an
/// unknown key), per organization an <see cref="OrgBudgetView"/> fed by the org's budget stream.
/// A check never calls a budget grain; only the first use of an organization loads its statuses.
/// </summary>
public sealed partial class BudgetDecisions(IClusterClient client, TimeProvider time, ILogger<BudgetDecisions> logger)
{
    private static readonly TimeSpan CatalogMaxAge = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan UnknownKeyRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, CatalogEntry> _catalogs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<OrgBudgetView>>> _orgs = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary>Identifies this process in SSE event ids: a resumption id from another process means a new snapshot.</summary>
    internal string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The decision for API key <paramref name="apiKeyId"/>, or null when the key is not in the environment.</summary>
    internal async Task<BudgetDecision?> DecideAsync(string environmentId, string apiKeyId)
    {
        var catalog = await CatalogAsync(environmentId);
        if (!catalog.ApiKeys.ContainsKey(apiKeyId) && catalog.OrgId is not null)
        {
            catalog = await RefreshForUnknownKeyAsync(environmentId, catalog);
        }

        if (catalog.OrgId is null || !catalog.ApiKeys.TryGetValue(apiKeyId, out var binding) || binding.EnvironmentId != environmentId)
        {
            return null;
        }

        var view = await OrgAsync(catalog.OrgId);
        var failMode = catalog.Org?.FailMode ?? FailMode.Sticky;
        var now = time.GetUtcNow();
        BudgetStatus? reason = null;
        BudgetStatus? tightest = null;
        foreach (var status in view.BudgetsFor(ScopesOfKey(catalog.OrgId, environmentId, apiKeyId, binding)))
        {
            if (status.Policy.Mode != BudgetMode.HardStop)
            {
                continue;
            }

            // A period that has ended blocks no more, even before its budget's rollover reaches this view.
            var blocking = status.Blocking && status.PeriodResetsAt > now;
            if (blocking && (reason is null || status.PeriodResetsAt > reason.PeriodResetsAt))
            {
                reason = status;
            }

            if (tightest is null || status.RemainingUsd < tightest.RemainingUsd)
            {
                tightest = status;
            }
        }

        return new BudgetDecision(reason is null, failMode, reason, reason ?? tightest);
    }

    /// <summary>The org view of an environment and the catalog that says which of its budgets apply there.</summary>
    internal async Task<(OrgBudgetView? View, EnvironmentCatalog Catalog)> EnvironmentViewAsync(string environmentId)
    {
        var catalog = await CatalogAsync(environmentId);
        return catalog.OrgId is null ? (null, catalog) : (await OrgAsync(catalog.OrgId), catalog);
    }

    /// <summary>The environment's catalog as cached here (refreshed in the background when old).</summary>
    internal Task<EnvironmentCatalog> CatalogOfAsync(string environmentId) => CatalogAsync(environmentId);

    /// <summary>
    /// Whether a budget concerns an environment's gateways: org-wide scopes (org, team, member), the
    /// environment itself, and keys and provider keys used in it.
    /// </summary>
    internal static bool AppliesToEnvironment(BudgetScope scope, string environmentId, EnvironmentCatalog catalog) => scope.Type switch
    {
        ScopeType.Org or ScopeType.Team or ScopeType.Member => true,
        ScopeType.Environment => scope.Ref == environmentId,
        ScopeType.ApiKey => catalog.ApiKeys.ContainsKey(scope.Ref),
        _ => catalog.Models.Values.Any(model => model.ProviderKeyId == scope.Ref),
    };

    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Takes budget statuses that a telemetry batch of this process just changed (persisted and
    /// published before the batch was acknowledged) into the decision view at once, so this
    /// process denies from the acknowledgement on instead of when the org's stream delivers the
    /// transition a few milliseconds later. The stream still brings the transitions themselves
    /// (and the SSE pushes); the view keeps the higher version of a budget's two arrivals.
    /// </summary>
    internal void Observe(IEnumerable<BudgetStatus> statuses)
    {
        foreach (var status in statuses)
        {
            if (_orgs.TryGetValue(status.Policy.OrgId, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Load(status);
            }
        }
    }

    /// <summary>The scopes whose budgets a request with this key is checked against (API.md: org, environment, key, team, member).</summary>
    private static (ScopeType Type, string? Ref)[] ScopesOfKey(string orgId, string environmentId, string apiKeyId, ApiKeyBinding binding) =>
    [
        (ScopeType.Org, orgId),
        (ScopeType.Environment, environmentId),
        (ScopeType.ApiKey, apiKeyId),
        (ScopeType.Team, binding.TeamId),
        (ScopeType.Member, binding.UserId),
    ];

    private async Task<EnvironmentCatalog> CatalogAsync(string environmentId)
    {
        var now = time.GetUtcNow();
        if (_catalogs.TryGetValue(environmentId, out var entry))
        {
            if (now - entry.FetchedAt > CatalogMaxAge && entry.TryStartRefresh())
            {
                _ = RefreshInBackgroundAsync(environmentId);
            }

            return entry.Catalog;
        }

        return await FetchCatalogAsync(environmentId);
    }

    private async Task<EnvironmentCatalog> RefreshForUnknownKeyAsync(string environmentId, EnvironmentCatalog current)
    {
        var entry = _catalogs[environmentId];
        return time.GetUtcNow() - entry.FetchedAt < UnknownKeyRefreshInterval ? current : await FetchCatalogAsync(environmentId);
    }

    private async Task<EnvironmentCatalog> FetchCatalogAsync(string environmentId)
    {
        var catalog = await client.GetGrain<IEnvironmentGrain>(environmentId).GetCatalogAsync();
        _catalogs[environmentId] = new CatalogEntry(catalog, time.GetUtcNow());
        return catalog;
    }

    private async Task RefreshInBackgroundAsync(string environmentId)
    {
        try
        {
            await FetchCatalogAsync(environmentId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The cached catalog stays in use; the next check tries again.
            if (_catalogs.TryGetValue(environmentId, out var entry))
            {
                entry.RefreshFailed();
            }

            LogCatalogRefreshFailed(logger, ex, environmentId);
        }
    }

    private async Task<OrgBudgetView> OrgAsync(string orgId)
    {
        var lazy = _orgs.GetOrAdd(orgId, id => new Lazy<Task<OrgBudgetView>>(() => LoadOrgAsync(id)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            // A failed load is not cached: the next request loads again.
            _orgs.TryRemove(new KeyValuePair<string, Lazy<Task<OrgBudgetView>>>(orgId, lazy));
            throw;
        }
    }

    /// <summary>Subscribes first, then reads every budget's status, so no transition falls between the two.</summary>
    private async Task<OrgBudgetView> LoadOrgAsync(string orgId)
    {
        var view = new OrgBudgetView(orgId, NextSequence);
        var stream = client.GetStreamProvider(BudgetStreams.Provider)
            .GetStream<BudgetEvent>(StreamId.Create(BudgetStreams.Namespace, orgId));
        view.Subscription = await stream.SubscribeAsync(view);
        var budgets = await client.GetGrain<IOrgGrain>(orgId).ListBudgetsAsync();
        var statuses = await Task.WhenAll(budgets.Select(b => client.GetGrain<IBudgetGrain>(b.BudgetId).GetBudgetStatusAsync()));
        foreach (var status in statuses)
        {
            if (status is not null)
            {
                view.Load(status);
            }
        }

        LogOrgLoaded(logger, orgId, budgets.Length);
        return view;
    }

    [LoggerMessage(2301, LogLevel.Information, "Budget view of org {OrgId} loaded with {Count} budgets")]
    private static partial void LogOrgLoaded(ILogger logger, string orgId, int count);

    [LoggerMessage(2302, LogLevel.Warning, "Could not refresh the catalog of environment {EnvironmentId}; using the cached one")]
    private static partial void LogCatalogRefreshFailed(ILogger logger, Exception exception, string environmentId);

    private sealed class CatalogEntry(EnvironmentCatalog catalog, DateTimeOffset fetchedAt)
    {
        private int _refreshing;

        public EnvironmentCatalog Catalog { get; } = catalog;

        public DateTimeOffset FetchedAt { get; } = fetchedAt;

        public bool TryStartRefresh() => Interlocked.Exchange(ref _refreshing, 1) == 0;

        public void RefreshFailed() => Interlocked.Exchange(ref _refreshing, 0);
    }
}
