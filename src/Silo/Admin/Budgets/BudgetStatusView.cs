namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary><c>GET /budgets/{id}/status</c>.</summary>
public sealed record BudgetStatusView(
    string BudgetId,
    string State,
    bool Blocking,
    string SpentUsd,
    string LimitUsd,
    string RemainingUsd,
    string PeriodStart,
    string PeriodResetsAt,
    long Version,
    string? BurnRateUsdPerHour,
    string? ProjectedExhaustionAt);
