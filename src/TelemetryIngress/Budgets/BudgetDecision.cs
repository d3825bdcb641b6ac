using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// The answer to a budget check: whether the key may go on, the org's fail mode, the blocking
/// budget that stays blocked longest (when denied) and the tightest applicable budget.
/// </summary>
internal sealed record BudgetDecision(bool Allow, FailMode FailMode, BudgetStatus? Reason, BudgetStatus? Tightest);
