using System.Text.Json.Serialization;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>The 200 answer of <c>GET /dp/budget_check</c>, in AISIX's shape.</summary>
internal sealed record BudgetCheckResponse(
    bool Allow,
    string FailMode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BudgetCheckReason? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BudgetCheckBudget? Budget);

/// <summary>Why a request is denied: the blocking budget that stays blocked longest.</summary>
internal sealed record BudgetCheckReason(
    string Type,
    string Code,
    string Message,
    string Scope,
    string ScopeRef,
    string BudgetId,
    string LimitUsd,
    string SpentUsd,
    string Period,
    string PeriodResetsAt,
    long RetryAfterSeconds);

/// <summary>The figures of one budget: the denying one, or on allow the tightest.</summary>
internal sealed record BudgetCheckBudget(string LimitUsd, string SpentUsd, string RemainingUsd, long ResetSeconds);
