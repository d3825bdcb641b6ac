using System.Collections.Concurrent;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// How many of one kind of thing (open streams, requests in progress) each gateway holds on this
/// data-plane process, bounded per gateway, so that one gateway (or a leaked certificate) costs
/// only its own share. Counted per process: a gateway connected to several may hold that many on each.
/// </summary>
public sealed class GatewayLeases
{
    private readonly ConcurrentDictionary<GatewayIdentity, int> _held = new();

    /// <summary>A lease on one more for <paramref name="gateway"/>, or null when it holds <paramref name="limit"/> already.</summary>
    public IDisposable? TryTake(GatewayIdentity gateway, int limit)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        while (true)
        {
            var held = _held.GetOrAdd(gateway, 0);
            if (held >= limit)
            {
                return null;
            }

            if (_held.TryUpdate(gateway, held + 1, held))
            {
                return new Lease(this, gateway);
            }
        }
    }

    /// <summary>How many <paramref name="gateway"/> holds now.</summary>
    public int HeldBy(GatewayIdentity gateway) => _held.TryGetValue(gateway, out var held) ? held : 0;

    private void Release(GatewayIdentity gateway)
    {
        while (true)
        {
            var held = _held[gateway];
            if (held == 1 ? _held.TryRemove(new KeyValuePair<GatewayIdentity, int>(gateway, 1)) : _held.TryUpdate(gateway, held - 1, held))
            {
                return;
            }
        }
    }

    private sealed class Lease(GatewayLeases owner, GatewayIdentity gateway) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(gateway);
            }
        }
    }
}
