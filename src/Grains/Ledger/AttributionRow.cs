namespace BudgetCluster.Grains.Ledger;

/// <summary>A stored attribution: a gateway's ledger row whose cost counts toward a budget's period.</summary>
public sealed record AttributionRow(
    string BudgetId,
    string EnvironmentId,
    string DpId,
    long Sequence,
    DateTimeOffset PeriodStart,
    decimal CostUsd);
