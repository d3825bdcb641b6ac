namespace BudgetCluster.TelemetryIngress.Health;

/// <summary><c>GET /healthz</c>.</summary>
public sealed record HealthView(string Status);
