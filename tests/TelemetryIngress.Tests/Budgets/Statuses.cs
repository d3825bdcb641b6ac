using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Budgets;

namespace BudgetCluster.TelemetryIngress.Tests.Budgets;

/// <summary>Budget statuses as a budget grain reports them, for the rules' tests.</summary>
internal static class Statuses
{
    /// <summary>The instant the tests decide at: mid-month, so a monthly period is current.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset MonthEnd = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An empty view of org "acme", numbering its transitions from 1.</summary>
    public static OrgBudgetView NewView()
    {
        long sequence = 0;
        return new OrgBudgetView("acme", () => ++sequence);
    }

    /// <summary>Delivers <paramref name="status"/> to <paramref name="view"/> as its org stream would.</summary>
    public static Task Push(OrgBudgetView view, BudgetEventKind kind, BudgetStatus status) =>
        view.OnNextAsync(new BudgetEvent { Kind = kind, Status = status, OccurredAt = Now });

    /// <summary>A $10 budget of <paramref name="scope"/> with <paramref name="spent"/> spent; exceeded (and, when hard-stop, blocking) at $10.</summary>
    public static BudgetStatus Of(
        string budgetId, ScopeType scope, string reference, decimal spent = 0m, BudgetMode mode = BudgetMode.HardStop,
        DateTimeOffset? resetsAt = null, long version = 1, string orgId = "acme")
    {
        var limit = 10m;
        var state = spent >= limit ? BudgetState.Exceeded : spent >= 8m ? BudgetState.Warning : BudgetState.Ok;
        var end = resetsAt ?? MonthEnd;
        return new BudgetStatus
        {
            BudgetId = budgetId,
            Policy = new BudgetPolicy
            {
                OrgId = orgId,
                Name = "monthly",
                Scope = new BudgetScope(scope, reference),
                LimitUsd = limit,
                Period = BudgetPeriod.Month,
                Mode = mode,
                TimeZone = "UTC",
                Thresholds = [0.8m],
            },
            State = state,
            Blocking = state == BudgetState.Exceeded && mode == BudgetMode.HardStop,
            SpentUsd = spent,
            PeriodStart = end.AddMonths(-1),
            PeriodResetsAt = end,
            Version = version,
        };
    }
}
