using BudgetCluster.Grains.Abstractions.Definitions;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// This process's copy of each environment's catalog (org and its fail mode, API keys, models),
/// kept current by push: the first use of an environment subscribes to its catalog stream
/// (<see cref="CatalogStreams"/>) and only then fetches the catalog, so no change falls between the
/// two. From then on the environment grain publishes every catalog it stores, and the copy here
/// takes one only when its version is higher than the one held, so a fetch or push that arrives
/// late never takes a change back. Two backstops repair a lost push: every
/// <see cref="BackstopPeriod"/> all catalogs are fetched again, and a key the catalog does not
/// know fetches it at once (at most once a second per environment).
/// </summary>
public sealed partial class CatalogCache : IDisposable
{
    /// <summary>How often every cached catalog is fetched again, in case a push was lost.</summary>
    internal static readonly TimeSpan BackstopPeriod = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan UnknownKeyRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly IClusterClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger<CatalogCache> _logger;
    private readonly KeyedLoader<CatalogEntry> _entries;
    private readonly ITimer _backstop;
    private int _refreshing;

    public CatalogCache(IClusterClient client, TimeProvider time, ILogger<CatalogCache> logger)
    {
        _client = client;
        _time = time;
        _logger = logger;
        _entries = new KeyedLoader<CatalogEntry>(LoadAsync);
        _backstop = time.CreateTimer(_ => _ = RefreshAllAsync(), null, BackstopPeriod, BackstopPeriod);
    }

    /// <summary>Raised with each catalog this process adopts (a newer version of its environment's), on the thread that brought it.</summary>
    public event Action<EnvironmentCatalog>? Adopted;

    /// <summary>The environment's catalog as held here.</summary>
    internal async Task<EnvironmentCatalog> GetAsync(string environmentId) => (await _entries.GetAsync(environmentId)).Catalog;

    /// <summary>
    /// The environment's catalog, fetched again first when it does not know <paramref name="apiKeyId"/>:
    /// the key may have been bound a moment ago and its push be lost.
    /// </summary>
    internal async Task<EnvironmentCatalog> GetKnowingAsync(string environmentId, string apiKeyId)
    {
        var entry = await _entries.GetAsync(environmentId);
        if (entry.Catalog is { OrgId: not null } catalog
            && !catalog.ApiKeys.ContainsKey(apiKeyId)
            && entry.TryClaimUnknownKeyFetch(_time.GetUtcNow(), UnknownKeyRefreshInterval))
        {
            entry.Adopt(await FetchAsync(environmentId));
        }

        return entry.Catalog;
    }

    public void Dispose() => _backstop.Dispose();

    private async Task<CatalogEntry> LoadAsync(string environmentId)
    {
        var entry = new CatalogEntry(_time.GetUtcNow(), catalog => Adopted?.Invoke(catalog));
        var subscription = await _client.GetStreamProvider(CatalogStreams.Provider)
            .GetStream<EnvironmentCatalog>(StreamId.Create(CatalogStreams.Namespace, environmentId))
            .SubscribeAsync(entry);
        try
        {
            entry.Adopt(await FetchAsync(environmentId));
        }
        catch
        {
            // The next request subscribes again: this subscription would only duplicate its pushes.
            await subscription.UnsubscribeAsync();
            throw;
        }

        return entry;
    }

    private Task<EnvironmentCatalog> FetchAsync(string environmentId) =>
        _client.GetGrain<IEnvironmentGrain>(environmentId).GetCatalogAsync();

    private async Task RefreshAllAsync()
    {
        // A slow cluster must not stack refresh rounds on top of each other.
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (environmentId, entry) in _entries.Loaded())
            {
                try
                {
                    entry.Adopt(await FetchAsync(environmentId));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The catalog held stays in use; pushes and the next round bring changes.
                    LogRefreshFailed(_logger, ex, environmentId);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    [LoggerMessage(2302, LogLevel.Warning, "Could not refresh the catalog of environment {EnvironmentId}; using the one held")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string environmentId);

    /// <summary>One environment's catalog: the highest version fetched or pushed so far.</summary>
    private sealed class CatalogEntry(DateTimeOffset loadedAt, Action<EnvironmentCatalog> adopted) : IAsyncObserver<EnvironmentCatalog>
    {
        private readonly Lock _gate = new();
        private EnvironmentCatalog? _catalog;
        // The load's own fetch counts: a burst of unknown keys right after it fetches nothing more.
        private DateTimeOffset _lastUnknownKeyFetch = loadedAt;

        /// <summary>Set before the entry is handed out: the load adopts its first fetch before returning it.</summary>
        public EnvironmentCatalog Catalog => Volatile.Read(ref _catalog)!;

        public void Adopt(EnvironmentCatalog catalog)
        {
            lock (_gate)
            {
                if (_catalog is not null && catalog.Version <= _catalog.Version)
                {
                    return;
                }

                Volatile.Write(ref _catalog, catalog);
            }

            adopted(catalog);
        }

        public bool TryClaimUnknownKeyFetch(DateTimeOffset now, TimeSpan interval)
        {
            lock (_gate)
            {
                if (now - _lastUnknownKeyFetch < interval)
                {
                    return false;
                }

                _lastUnknownKeyFetch = now;
                return true;
            }
        }

        public Task OnNextAsync(EnvironmentCatalog item, StreamSequenceToken? token = null)
        {
            Adopt(item);
            return Task.CompletedTask;
        }

        public Task OnCompletedAsync() => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }
}
