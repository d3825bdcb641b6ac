namespace BudgetCluster.TelemetryIngress.Health;

/// <summary><c>GET /readyz</c>: <c>ready</c> or <c>not_ready</c>, and each check with its status and why.</summary>
public sealed record ReadinessView(string Status, IReadOnlyDictionary<string, ReadinessCheckView> Checks);
