using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Tests.Budgets;

public sealed class BudgetEvaluatorTests
{
    private static readonly BudgetPolicy TenDollars = new()
    {
        OrgId = "acme",
        Name = "monthly",
        Scope = new BudgetScope(ScopeType.Org, "acme"),
        LimitUsd = 10m,
        Period = BudgetPeriod.Month,
        Mode = BudgetMode.HardStop,
        TimeZone = "UTC",
        Thresholds = [0.8m],
    };

    [Fact]
    public void Evaluate_BelowEveryThreshold_AnnouncesNothing()
    {
        var result = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 7.99m);

        Assert.Empty(result.Transitions);
        Assert.Equal(BudgetState.Ok, result.Standing.NotifiedState);
    }

    [Fact]
    public void Evaluate_CrossingAThreshold_FiresItOncePerPeriod()
    {
        var first = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 8m);
        var again = BudgetEvaluator.Evaluate(TenDollars, first.Standing, 9m);

        Assert.Equal([Announcement.ThresholdAt(0.8m)], first.Transitions.ToArray());
        Assert.Equal(BudgetState.Warning, first.Standing.NotifiedState);
        Assert.Empty(again.Transitions);
    }

    [Fact]
    public void Evaluate_SpendEqualToLimit_IsExceededAndBlocking()
    {
        var result = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 10.00m);

        Assert.Equal([Announcement.ThresholdAt(0.8m), Announcement.Exceeded], result.Transitions.ToArray());
        Assert.Equal(BudgetState.Exceeded, result.Standing.NotifiedState);
        Assert.True(result.Standing.NotifiedBlocking);
    }

    [Fact]
    public void Evaluate_OneCentBelowTheLimit_IsNotExceeded()
    {
        Assert.Equal(BudgetState.Warning, BudgetEvaluator.StateOf(TenDollars, 9.99m));
        Assert.False(BudgetEvaluator.IsBlocking(TenDollars, 9.99m));
        Assert.True(BudgetEvaluator.IsBlocking(TenDollars, 10m));
    }

    [Fact]
    public void Evaluate_MoreSpendWhileExceeded_AnnouncesNothingMore()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 10.5m);

        Assert.Empty(BudgetEvaluator.Evaluate(TenDollars, exceeded.Standing, 12m).Transitions);
    }

    [Fact]
    public void Evaluate_JumpOverSeveralThresholds_FiresEachInOrder()
    {
        var policy = TenDollars with { Thresholds = [0.5m, 0.8m, 0.9m] };

        var result = BudgetEvaluator.Evaluate(policy, BudgetStanding.Fresh, 8.5m);

        Assert.Equal([Announcement.ThresholdAt(0.5m), Announcement.ThresholdAt(0.8m)], result.Transitions.ToArray());
    }

    [Fact]
    public void Evaluate_LimitRaisedAboveSpend_ClearsButStaysWarned()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 10.42m);

        var raised = BudgetEvaluator.Evaluate(TenDollars with { LimitUsd = 12m }, exceeded.Standing, 10.42m);

        Assert.Equal([Announcement.Cleared], raised.Transitions.ToArray());
        Assert.Equal(BudgetState.Warning, raised.Standing.NotifiedState);
        Assert.False(raised.Standing.NotifiedBlocking);
    }

    [Fact]
    public void Evaluate_LimitRaisedFarAboveSpend_ClearsToOk()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 10.42m);

        var raised = BudgetEvaluator.Evaluate(TenDollars with { LimitUsd = 100m }, exceeded.Standing, 10.42m);

        Assert.Equal([Announcement.Cleared], raised.Transitions.ToArray());
        Assert.Equal(BudgetState.Ok, raised.Standing.NotifiedState);
    }

    [Fact]
    public void Evaluate_LimitLoweredBelowSpend_Exceeds()
    {
        var result = BudgetEvaluator.Evaluate(TenDollars with { LimitUsd = 5m }, BudgetStanding.Fresh, 6m);

        Assert.Contains(Announcement.Exceeded, result.Transitions);
    }

    [Fact]
    public void Evaluate_WarnOnlyOverTheLimit_IsExceededButNeverBlocking()
    {
        var warnOnly = TenDollars with { Mode = BudgetMode.WarnOnly };

        var result = BudgetEvaluator.Evaluate(warnOnly, BudgetStanding.Fresh, 11m);

        Assert.Contains(Announcement.Exceeded, result.Transitions);
        Assert.Equal(BudgetState.Exceeded, result.Standing.NotifiedState);
        Assert.False(result.Standing.NotifiedBlocking);
        Assert.False(BudgetEvaluator.IsBlocking(warnOnly, 11m));
    }

    [Fact]
    public void Evaluate_SwitchToWarnOnlyWhileExceeded_ClearsBlockingAndBackToHardStopExceedsAgain()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 11m);

        var warnOnly = BudgetEvaluator.Evaluate(TenDollars with { Mode = BudgetMode.WarnOnly }, exceeded.Standing, 11m);
        var hardAgain = BudgetEvaluator.Evaluate(TenDollars, warnOnly.Standing, 11m);

        Assert.Equal([Announcement.Cleared], warnOnly.Transitions.ToArray());
        Assert.Equal(BudgetState.Exceeded, warnOnly.Standing.NotifiedState);
        Assert.False(warnOnly.Standing.NotifiedBlocking);
        Assert.Equal([Announcement.Exceeded], hardAgain.Transitions.ToArray());
        Assert.True(hardAgain.Standing.NotifiedBlocking);
    }

    [Fact]
    public void Rollover_FromExceeded_ClearsAndRearmsThresholds()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 11m);

        var rolled = BudgetEvaluator.Rollover(TenDollars, exceeded.Standing, 0m);
        var nextMonth = BudgetEvaluator.Evaluate(TenDollars, rolled.Standing, 8.5m);

        Assert.Equal([Announcement.Cleared], rolled.Transitions.ToArray());
        Assert.Equal(BudgetStanding.Fresh.NotifiedState, rolled.Standing.NotifiedState);
        Assert.Empty(rolled.Standing.FiredThresholds);
        Assert.Equal([Announcement.ThresholdAt(0.8m)], nextMonth.Transitions.ToArray());
    }

    [Fact]
    public void Rollover_WithSpendAlreadyInTheNewPeriod_ClearsThenEvaluatesIt()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 11m);

        var rolled = BudgetEvaluator.Rollover(TenDollars, exceeded.Standing, 9m);

        Assert.Equal([Announcement.Cleared, Announcement.ThresholdAt(0.8m)], rolled.Transitions.ToArray());
    }

    [Fact]
    public void Rollover_FromOk_AnnouncesNothing()
    {
        Assert.Empty(BudgetEvaluator.Rollover(TenDollars, BudgetStanding.Fresh, 0m).Transitions);
    }

    [Fact]
    public void Delete_Exceeded_Clears_Ok_DoesNothing()
    {
        var exceeded = BudgetEvaluator.Evaluate(TenDollars, BudgetStanding.Fresh, 11m);

        Assert.Equal([Announcement.Cleared], BudgetEvaluator.Delete(exceeded.Standing).ToArray());
        Assert.Empty(BudgetEvaluator.Delete(BudgetStanding.Fresh));
    }
}
