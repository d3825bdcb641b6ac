using System.Text.Json;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>
/// The envelope of <c>POST /dp/telemetry</c>. Events stay raw so that one malformed event is
/// rejected alone instead of failing the whole body.
/// </summary>
internal sealed class TelemetryBody
{
    public List<JsonElement>? Events { get; set; }
}
