namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>The 200 answer to <c>POST /dp/telemetry</c>.</summary>
internal sealed record TelemetryResponse(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>
/// An event of the batch that was not accepted, by its index in <c>events</c>: what is wrong
/// (<c>error</c>) and its code in <see cref="Grains.Abstractions.Gateways.RejectionReasons"/> (<c>reason</c>).
/// </summary>
internal sealed record RejectedEvent(int Index, string Error, string Reason);
