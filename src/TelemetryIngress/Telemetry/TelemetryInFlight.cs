using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>
/// The <c>/dp/telemetry</c> requests each gateway has in progress on this data-plane process (from
/// its headers to its answer, the body's upload included), at most
/// <see cref="DataPlaneOptions.MaxTelemetryInFlightPerGateway"/>: a gateway that sends faster than
/// its batches are stored, or slowly trickles many bodies, waits on its own 429s and holds neither
/// the process's memory nor its grain's queue from the others.
/// </summary>
public sealed class TelemetryInFlight(IOptions<DataPlaneOptions> options)
{
    private readonly GatewayLeases _inFlight = new();

    /// <summary>A lease on one more request for <paramref name="gateway"/>, or null when it has as many in progress as allowed.</summary>
    public IDisposable? TryEnter(GatewayIdentity gateway) => _inFlight.TryTake(gateway, options.Value.MaxTelemetryInFlightPerGateway);

    /// <summary>How many requests <paramref name="gateway"/> has in progress now.</summary>
    public int InProgress(GatewayIdentity gateway) => _inFlight.HeldBy(gateway);
}
