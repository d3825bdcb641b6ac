namespace BudgetCluster.Silo.Admin.Reconciliation;

/// <summary>
/// D2 checked for one organization: each budget's live spend and each gateway's totals against
/// the usage ledger. <see cref="Drift"/> is true when any figure differs.
/// </summary>
public sealed record ReconciliationView(
    string OrgId,
    string CheckedAt,
    bool Drift,
    IReadOnlyList<BudgetDriftView> Budgets,
    IReadOnlyList<GatewayDriftView> Gateways);

/// <summary>A budget's spend in its current period, live and from the ledger.</summary>
public sealed record BudgetDriftView(string BudgetId, string PeriodStart, string LiveSpentUsd, string LedgerSpentUsd, string DriftUsd);

/// <summary>A gateway's accepted events and spend, live and from the ledger.</summary>
public sealed record GatewayDriftView(
    string EnvironmentId, string DpId, long LiveEvents, long LedgerEvents, string LiveSpendUsd, string LedgerSpendUsd, string DriftUsd);
