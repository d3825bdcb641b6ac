namespace BudgetCluster.TelemetryIngress.Heartbeats;

/// <summary>The 200 answer to <c>POST /dp/heartbeat</c>.</summary>
internal sealed record HeartbeatResponse(bool Ok);
