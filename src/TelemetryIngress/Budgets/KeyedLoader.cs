using System.Collections.Concurrent;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// One value per key, loaded once for all concurrent callers and kept. A failed load is not kept:
/// the next caller loads again, so a silo that was down for a moment costs one failed request,
/// not a broken key until the process restarts.
/// </summary>
internal sealed class KeyedLoader<TValue>(Func<string, Task<TValue>> load)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TValue>>> _values = new(StringComparer.Ordinal);

    public async Task<TValue> GetAsync(string key)
    {
        var lazy = _values.GetOrAdd(key, k => new Lazy<Task<TValue>>(() => load(k)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            _values.TryRemove(new KeyValuePair<string, Lazy<Task<TValue>>>(key, lazy));
            throw;
        }
    }

    /// <summary>The value of <paramref name="key"/> when it is loaded; never starts a load.</summary>
    public bool TryGetLoaded(string key, out TValue value)
    {
        if (_values.TryGetValue(key, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            value = lazy.Value.Result;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>The keys and values loaded so far.</summary>
    public IEnumerable<(string Key, TValue Value)> Loaded()
    {
        foreach (var (key, lazy) in _values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                yield return (key, lazy.Value.Result);
            }
        }
    }
}
