namespace BudgetCluster.Silo.Admin;

/// <summary><c>GET /healthz</c>.</summary>
public sealed record HealthView(string Status);
