using System.Text.Json.Serialization;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>The <c>data</c> of a <c>budget.*</c> server-sent event (API.md §3).</summary>
internal sealed record BudgetEventData(
    string BudgetId,
    string Scope,
    string ScopeRef,
    string Mode,
    string LimitUsd,
    string SpentUsd,
    string PeriodStart,
    string PeriodResetsAt,
    bool Blocking,
    long Version,
    string OccurredAt,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? Threshold);

/// <summary>The <c>data</c> of the first, <c>snapshot</c>, event: budgets now exceeded or past a threshold.</summary>
internal sealed record BudgetSnapshotData(IReadOnlyList<BudgetEventData> Budgets, string OccurredAt);
