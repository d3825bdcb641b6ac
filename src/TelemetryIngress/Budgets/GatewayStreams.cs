using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// The <c>budget_events</c> streams each gateway holds open on this data-plane process, at most
/// <see cref="DataPlaneOptions.MaxStreamsPerGateway"/>, so one gateway (or a leaked certificate)
/// cannot hold the process's memory and connections with streams.
/// </summary>
public sealed class GatewayStreams(IOptions<DataPlaneOptions> options)
{
    private readonly GatewayLeases _open = new();

    /// <summary>A lease on one more stream for <paramref name="gateway"/>, or null when it has as many as allowed.</summary>
    public IDisposable? TryOpen(GatewayIdentity gateway) => _open.TryTake(gateway, options.Value.MaxStreamsPerGateway);
}
