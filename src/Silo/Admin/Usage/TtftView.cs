namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>Time to first token of a result's streamed attempts in milliseconds; null when none reported one.</summary>
public sealed record TtftView(double? Avg, double? P95);
