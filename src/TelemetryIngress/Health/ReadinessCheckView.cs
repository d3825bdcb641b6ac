namespace BudgetCluster.TelemetryIngress.Health;

/// <summary>One readiness check: <c>healthy</c> or <c>unhealthy</c>, and what it found.</summary>
public sealed record ReadinessCheckView(string Status, string? Description);
