using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>The wire names of budget and org enums (API.md §3, §4).</summary>
public static class BudgetWire
{
    public static string Scope(ScopeType type) => type switch
    {
        ScopeType.Org => "org",
        ScopeType.Environment => "environment",
        ScopeType.ApiKey => "api_key",
        ScopeType.ProviderKey => "provider_key",
        ScopeType.Team => "team",
        _ => "member",
    };

    public static ScopeType? ParseScope(string? text) => text switch
    {
        "org" => ScopeType.Org,
        "environment" => ScopeType.Environment,
        "api_key" => ScopeType.ApiKey,
        "provider_key" => ScopeType.ProviderKey,
        "team" => ScopeType.Team,
        "member" => ScopeType.Member,
        _ => null,
    };

    public static string Period(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Day => "day",
        BudgetPeriod.Week => "week",
        _ => "month",
    };

    public static BudgetPeriod? ParsePeriod(string? text) => text switch
    {
        "day" => BudgetPeriod.Day,
        "week" => BudgetPeriod.Week,
        "month" => BudgetPeriod.Month,
        _ => null,
    };

    public static string Mode(BudgetMode mode) => mode == BudgetMode.WarnOnly ? "warn_only" : "hard_stop";

    public static BudgetMode? ParseMode(string? text) => text switch
    {
        "hard_stop" => BudgetMode.HardStop,
        "warn_only" => BudgetMode.WarnOnly,
        _ => null,
    };

    public static string FailMode(Grains.Abstractions.Definitions.FailMode mode) => mode switch
    {
        Grains.Abstractions.Definitions.FailMode.Open => "open",
        Grains.Abstractions.Definitions.FailMode.Closed => "closed",
        _ => "sticky",
    };

    public static string State(BudgetState state) => state switch
    {
        BudgetState.Warning => "warning",
        BudgetState.Exceeded => "exceeded",
        _ => "ok",
    };
}
