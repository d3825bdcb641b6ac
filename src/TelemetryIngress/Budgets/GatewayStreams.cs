using System.Collections.Concurrent;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// The <c>budget_events</c> streams each gateway holds open on this data-plane process, at most
/// <see cref="DataPlaneOptions.MaxStreamsPerGateway"/>, so one gateway (or a leaked certificate)
/// cannot hold the process's memory and connections with streams. Counted per process: a gateway
/// connected to several ingress processes may hold that many on each.
/// </summary>
public sealed class GatewayStreams(IOptions<DataPlaneOptions> options)
{
    private readonly ConcurrentDictionary<GatewayIdentity, int> _open = new();

    /// <summary>A lease on one more stream for <paramref name="gateway"/>, or null when it has as many as allowed.</summary>
    public IDisposable? TryOpen(GatewayIdentity gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var limit = options.Value.MaxStreamsPerGateway;
        while (true)
        {
            var open = _open.GetOrAdd(gateway, 0);
            if (open >= limit)
            {
                return null;
            }

            if (_open.TryUpdate(gateway, open + 1, open))
            {
                return new Lease(this, gateway);
            }
        }
    }

    private void Close(GatewayIdentity gateway)
    {
        while (true)
        {
            var open = _open[gateway];
            if (open == 1 ? _open.TryRemove(new KeyValuePair<GatewayIdentity, int>(gateway, 1)) : _open.TryUpdate(gateway, open - 1, open))
            {
                return;
            }
        }
    }

    private sealed class Lease(GatewayStreams owner, GatewayIdentity gateway) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(gateway);
            }
        }
    }
}
