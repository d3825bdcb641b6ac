using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// The budget rules, free of Orleans: given a policy, what subscribers were last told and the
/// period's spend, which transitions happen.
/// <list type="bullet">
/// <item><c>exceeded</c> when spend ≥ limit (and again when an exceeded warn-only budget turns hard-stop);</item>
/// <item><c>threshold</c> once per threshold per period, when spend ≥ threshold · limit;</item>
/// <item><c>cleared</c> when an exceeded budget no longer is (limit raised), a warned or exceeded
/// budget falls back to ok, a blocking budget stops blocking (switched to warn-only), at rollover
/// and at deletion.</item>
/// </list>
/// </summary>
public static class BudgetEvaluator
{
    /// <summary>The state of a spend against a policy, regardless of what was announced.</summary>
    public static BudgetState StateOf(BudgetPolicy policy, decimal spent)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (spent >= policy.LimitUsd)
        {
            return BudgetState.Exceeded;
        }

        return policy.Thresholds.Any(t => spent >= t * policy.LimitUsd) ? BudgetState.Warning : BudgetState.Ok;
    }

    public static bool IsBlocking(BudgetPolicy policy, decimal spent) =>
        policy.Mode == BudgetMode.HardStop && StateOf(policy, spent) == BudgetState.Exceeded;

    /// <summary>After spend or policy changed within a period.</summary>
    public static BudgetEvaluation Evaluate(BudgetPolicy policy, BudgetStanding standing, decimal spent)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(standing);
        var transitions = ImmutableArray.CreateBuilder<Announcement>();
        var fired = standing.FiredThresholds;
        foreach (var threshold in policy.Thresholds.Order())
        {
            if (!fired.Contains(threshold) && spent >= threshold * policy.LimitUsd)
            {
                transitions.Add(Announcement.ThresholdAt(threshold));
                fired = fired.Add(threshold);
            }
        }

        var state = StateOf(policy, spent);
        var blocking = state == BudgetState.Exceeded && policy.Mode == BudgetMode.HardStop;
        var becameExceeded = state == BudgetState.Exceeded
            && (standing.NotifiedState != BudgetState.Exceeded || (blocking && !standing.NotifiedBlocking));
        var cleared = (standing.NotifiedState == BudgetState.Exceeded && state != BudgetState.Exceeded)
            || (standing.NotifiedState != BudgetState.Ok && state == BudgetState.Ok)
            || (standing.NotifiedBlocking && !blocking);
        if (becameExceeded)
        {
            transitions.Add(Announcement.Exceeded);
        }
        else if (cleared)
        {
            transitions.Add(Announcement.Cleared);
        }

        return new BudgetEvaluation(new BudgetStanding(state, blocking, fired.Sort()), transitions.ToImmutable());
    }

    /// <summary>
    /// At a period boundary: a budget that was warned or exceeded is cleared, thresholds re-arm,
    /// and the new period's spend (events that already arrived for it) is evaluated afresh.
    /// </summary>
    public static BudgetEvaluation Rollover(BudgetPolicy policy, BudgetStanding standing, decimal newPeriodSpent)
    {
        ArgumentNullException.ThrowIfNull(standing);
        var fresh = Evaluate(policy, BudgetStanding.Fresh, newPeriodSpent);
        var wasAnnounced = standing.NotifiedState != BudgetState.Ok || standing.NotifiedBlocking;
        return wasAnnounced
            ? fresh with { Transitions = fresh.Transitions.Insert(0, Announcement.Cleared) }
            : fresh;
    }

    /// <summary>When the budget is deleted: subscribers must stop acting on it.</summary>
    public static ImmutableArray<Announcement> Delete(BudgetStanding standing)
    {
        ArgumentNullException.ThrowIfNull(standing);
        return standing.NotifiedState != BudgetState.Ok || standing.NotifiedBlocking
            ? [Announcement.Cleared]
            : [];
    }
}
