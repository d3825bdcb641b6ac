namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>The 200 answer to <c>POST /dp/telemetry</c>.</summary>
internal sealed record TelemetryResponse(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>An event of the batch that was not accepted, by its index in <c>events</c>.</summary>
internal sealed record RejectedEvent(int Index, string Error);
