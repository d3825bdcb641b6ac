namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary>A budget as the admin API shows it.</summary>
public sealed record BudgetView(
    string Id,
    string OrgId,
    string Name,
    BudgetScopeView Scope,
    string LimitUsd,
    string Period,
    string Mode,
    string Timezone,
    IReadOnlyList<decimal> Thresholds);

/// <summary>A budget's scope on the wire.</summary>
public sealed record BudgetScopeView(string Type, string Ref);
