using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// The budget decision for one API key (API.md §3, <c>budget_check</c>), from the statuses this
/// process holds. The rules:
/// <list type="bullet">
/// <item>A key bound to another environment than the asking one has no decision (the caller answers 403).</item>
/// <item>A budget applies to the key when its scope is the key's org, the asking environment, the key
/// itself, the key's team or its member. Provider-key budgets and other keys' budgets never apply.</item>
/// <item>Only hard-stop budgets take part: a warn-only budget never denies and is never the <c>budget</c>.</item>
/// <item>A status whose period has ended (<c>PeriodResetsAt &lt;= now</c>) never blocks, even before the
/// budget's rollover reaches this process, and its figures say nothing about the current period, so
/// it is not the <c>budget</c> either.</item>
/// <item>The key is denied when any applicable budget blocks; the reason is the one that stays blocked
/// longest (the latest <c>PeriodResetsAt</c>), and it is also the <c>budget</c>.</item>
/// <item>Otherwise the key is allowed and the <c>budget</c> is the applicable budget with the least remaining.</item>
/// <item>Ties go to the smallest budget id, so every process gives the same answer.</item>
/// </list>
/// </summary>
internal static class BudgetDecisionRule
{
    /// <summary>The scopes whose budgets apply to <paramref name="key"/>; a null ref (no team, no member) matches nothing.</summary>
    public static IReadOnlyList<(ScopeType Type, string? Ref)> ScopesOf(BudgetCheckKey key) =>
    [
        (ScopeType.Org, key.OrgId),
        (ScopeType.Environment, key.EnvironmentId),
        (ScopeType.ApiKey, key.ApiKeyId),
        (ScopeType.Team, key.Binding.TeamId),
        (ScopeType.Member, key.Binding.UserId),
    ];

    /// <summary>Whether a budget of <paramref name="scope"/> applies to <paramref name="key"/>.</summary>
    public static bool AppliesTo(BudgetScope scope, BudgetCheckKey key) => scope.Type switch
    {
        ScopeType.Org => scope.Ref == key.OrgId,
        ScopeType.Environment => scope.Ref == key.EnvironmentId,
        ScopeType.ApiKey => scope.Ref == key.ApiKeyId,
        ScopeType.Team => scope.Ref == key.Binding.TeamId,
        ScopeType.Member => scope.Ref == key.Binding.UserId,
        _ => false,
    };

    /// <summary>Whether <paramref name="status"/> denies requests now: hard-stop, exceeded, and its period not yet ended.</summary>
    public static bool IsBlocking(BudgetStatus status, DateTimeOffset now) =>
        status.Blocking && status.Policy.Mode == BudgetMode.HardStop && !HasEnded(status, now);

    /// <summary>The decision for <paramref name="key"/> among <paramref name="candidates"/>, or null when the key belongs to another environment.</summary>
    public static BudgetDecision? Decide(BudgetCheckKey key, FailMode failMode, IEnumerable<BudgetStatus> candidates, DateTimeOffset now)
    {
        if (key.Binding.EnvironmentId != key.EnvironmentId)
        {
            return null;
        }

        BudgetStatus? reason = null;
        BudgetStatus? tightest = null;
        foreach (var status in candidates)
        {
            if (status.Policy.Mode != BudgetMode.HardStop || HasEnded(status, now) || !AppliesTo(status.Policy.Scope, key))
            {
                continue;
            }

            if (IsBlocking(status, now) && (reason is null || BlocksLonger(status, reason)))
            {
                reason = status;
            }

            if (tightest is null || IsTighter(status, tightest))
            {
                tightest = status;
            }
        }

        return new BudgetDecision(reason is null, failMode, reason, reason ?? tightest);
    }

    private static bool HasEnded(BudgetStatus status, DateTimeOffset now) => status.PeriodResetsAt <= now;

    private static bool BlocksLonger(BudgetStatus status, BudgetStatus than) =>
        status.PeriodResetsAt != than.PeriodResetsAt
            ? status.PeriodResetsAt > than.PeriodResetsAt
            : string.CompareOrdinal(status.BudgetId, than.BudgetId) < 0;

    private static bool IsTighter(BudgetStatus status, BudgetStatus than) =>
        status.RemainingUsd != than.RemainingUsd
            ? status.RemainingUsd < than.RemainingUsd
            : string.CompareOrdinal(status.BudgetId, than.BudgetId) < 0;
}
