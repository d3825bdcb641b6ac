using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using static BudgetCluster.TelemetryIngress.Tests.Budgets.Statuses;

namespace BudgetCluster.TelemetryIngress.Tests.Budgets;

public sealed class BudgetDecisionRuleTests
{
    private static readonly BudgetCheckKey Key = new("acme", "prod", "k-frontend", new ApiKeyBinding("prod", "web", "ana"));

    private static BudgetDecision Decide(params BudgetStatus[] candidates) =>
        BudgetDecisionRule.Decide(Key, FailMode.Closed, candidates, Now)!;

    [Fact]
    public void Decide_NoBudgets_AllowsWithoutABudget()
    {
        var decision = Decide();

        Assert.True(decision.Allow);
        Assert.Null(decision.Reason);
        Assert.Null(decision.Tightest);
    }

    [Fact]
    public void Decide_AnyFailMode_IsPassedThrough()
    {
        Assert.Equal(FailMode.Open, BudgetDecisionRule.Decide(Key, FailMode.Open, [], Now)!.FailMode);
        Assert.Equal(FailMode.Sticky, BudgetDecisionRule.Decide(Key, FailMode.Sticky, [], Now)!.FailMode);
    }

    [Fact]
    public void Decide_KeyBoundToAnotherEnvironment_HasNoDecision()
    {
        var foreign = Key with { Binding = new ApiKeyBinding("staging", "web", "ana") };

        Assert.Null(BudgetDecisionRule.Decide(foreign, FailMode.Closed, [Of("b-org", ScopeType.Org, "acme", spent: 12m)], Now));
    }

    [Theory]
    [InlineData(ScopeType.Org, "acme")]
    [InlineData(ScopeType.Environment, "prod")]
    [InlineData(ScopeType.ApiKey, "k-frontend")]
    [InlineData(ScopeType.Team, "web")]
    [InlineData(ScopeType.Member, "ana")]
    public void Decide_ExceededHardStopOfEachScopeOfTheKey_Denies(ScopeType scope, string reference)
    {
        var budget = Of("b-1", scope, reference, spent: 10m);

        var decision = Decide(budget);

        Assert.False(decision.Allow);
        Assert.Same(budget, decision.Reason);
        Assert.Same(budget, decision.Tightest);
    }

    [Theory]
    [InlineData(ScopeType.Org, "globex")]
    [InlineData(ScopeType.Environment, "staging")]
    [InlineData(ScopeType.ApiKey, "k-backend")]
    [InlineData(ScopeType.Team, "data")]
    [InlineData(ScopeType.Member, "bob")]
    [InlineData(ScopeType.ProviderKey, "pk-anthropic")]
    public void Decide_ExceededBudgetOfAnotherScope_NeitherDeniesNorIsTheBudget(ScopeType scope, string reference)
    {
        var decision = Decide(Of("b-1", scope, reference, spent: 50m));

        Assert.True(decision.Allow);
        Assert.Null(decision.Tightest);
    }

    [Fact]
    public void Decide_KeyWithoutTeamOrMember_TeamAndMemberBudgetsDoNotApply()
    {
        var loose = Key with { Binding = new ApiKeyBinding("prod", null, null) };

        var decision = BudgetDecisionRule.Decide(loose, FailMode.Closed, [Of("b-t", ScopeType.Team, "web", spent: 10m), Of("b-m", ScopeType.Member, "ana", spent: 10m)], Now)!;

        Assert.True(decision.Allow);
        Assert.Null(decision.Tightest);
    }

    [Fact]
    public void Decide_ExceededWarnOnly_NeverDeniesAndIsNotTheBudget()
    {
        var decision = Decide(Of("b-warn", ScopeType.Org, "acme", spent: 25m, mode: BudgetMode.WarnOnly));

        Assert.True(decision.Allow);
        Assert.Null(decision.Reason);
        Assert.Null(decision.Tightest);
    }

    [Fact]
    public void Decide_WarnOnlyNextToAHardStop_TheHardStopIsTheBudget()
    {
        var hard = Of("b-hard", ScopeType.ApiKey, "k-frontend", spent: 2m);

        var decision = Decide(Of("b-warn", ScopeType.Org, "acme", spent: 9.5m, mode: BudgetMode.WarnOnly), hard);

        Assert.True(decision.Allow);
        Assert.Same(hard, decision.Tightest);
    }

    [Fact]
    public void Decide_SpendBelowTheLimit_AllowsWithThatBudget()
    {
        var budget = Of("b-1", ScopeType.Org, "acme", spent: 9.99m);

        var decision = Decide(budget);

        Assert.True(decision.Allow);
        Assert.Same(budget, decision.Tightest);
    }

    [Fact]
    public void Decide_SeveralAllowing_TheBudgetIsTheOneWithLeastRemaining()
    {
        var tight = Of("b-team", ScopeType.Team, "web", spent: 9m);

        var decision = Decide(Of("b-org", ScopeType.Org, "acme", spent: 1m), tight, Of("b-key", ScopeType.ApiKey, "k-frontend", spent: 5m));

        Assert.True(decision.Allow);
        Assert.Same(tight, decision.Tightest);
    }

    [Fact]
    public void Decide_EqualRemaining_TheSmallestBudgetIdIsTheBudget()
    {
        var first = Of("b-a", ScopeType.Team, "web", spent: 4m);

        var decision = Decide(Of("b-b", ScopeType.Org, "acme", spent: 4m), first);

        Assert.Same(first, decision.Tightest);
    }

    [Fact]
    public void Decide_SeveralDeny_TheReasonIsTheOneThatResetsLatest()
    {
        var monthly = Of("b-month", ScopeType.Environment, "prod", spent: 10m, resetsAt: MonthEnd);
        var daily = Of("b-day", ScopeType.Org, "acme", spent: 30m, resetsAt: Now.AddHours(12));
        var weekly = Of("b-week", ScopeType.Member, "ana", spent: 11m, resetsAt: Now.AddDays(3));

        var decision = Decide(daily, monthly, weekly);

        Assert.False(decision.Allow);
        Assert.Same(monthly, decision.Reason);
        Assert.Same(monthly, decision.Tightest);
    }

    [Fact]
    public void Decide_SeveralDenyUntilTheSameInstant_TheSmallestBudgetIdIsTheReason()
    {
        var first = Of("b-a", ScopeType.ApiKey, "k-frontend", spent: 10m);

        var decision = Decide(Of("b-b", ScopeType.Org, "acme", spent: 10m), first);

        Assert.Same(first, decision.Reason);
    }

    [Fact]
    public void Decide_OneDeniesOthersAllow_TheBudgetIsTheDenyingOneNotTheTightest()
    {
        var denying = Of("b-deny", ScopeType.Org, "acme", spent: 10m, resetsAt: Now.AddDays(1));

        var decision = Decide(Of("b-other", ScopeType.Team, "web", spent: 9.99m), denying);

        Assert.False(decision.Allow);
        Assert.Same(denying, decision.Tightest);
    }

    [Fact]
    public void Decide_ExceededButItsPeriodHasEnded_AllowsAndIsNotTheBudget()
    {
        var ended = Of("b-1", ScopeType.Org, "acme", spent: 10m, resetsAt: Now.AddSeconds(-1));

        var decision = Decide(ended);

        Assert.True(decision.Allow);
        Assert.Null(decision.Reason);
        Assert.Null(decision.Tightest);
    }

    [Fact]
    public void Decide_PeriodEndingExactlyNow_HasEnded()
    {
        Assert.True(Decide(Of("b-1", ScopeType.Org, "acme", spent: 10m, resetsAt: Now)).Allow);
        Assert.False(Decide(Of("b-1", ScopeType.Org, "acme", spent: 10m, resetsAt: Now.AddTicks(1))).Allow);
    }

    [Fact]
    public void Decide_EndedPeriodThatResetsLatest_IsNotTheReason()
    {
        var current = Of("b-day", ScopeType.Org, "acme", spent: 10m, resetsAt: Now.AddHours(1));

        var decision = Decide(Of("b-old", ScopeType.Environment, "prod", spent: 10m, resetsAt: Now.AddMinutes(-1)), current);

        Assert.Same(current, decision.Reason);
    }

    [Fact]
    public void IsBlocking_OnlyExceededHardStopInItsPeriod()
    {
        Assert.True(BudgetDecisionRule.IsBlocking(Of("b", ScopeType.Org, "acme", spent: 10m), Now));
        Assert.False(BudgetDecisionRule.IsBlocking(Of("b", ScopeType.Org, "acme", spent: 9m), Now));
        Assert.False(BudgetDecisionRule.IsBlocking(Of("b", ScopeType.Org, "acme", spent: 10m, mode: BudgetMode.WarnOnly), Now));
        Assert.False(BudgetDecisionRule.IsBlocking(Of("b", ScopeType.Org, "acme", spent: 10m, resetsAt: Now), Now));
    }

    [Fact]
    public void ScopesOf_AreTheKeysOrgEnvironmentKeyTeamAndMember()
    {
        Assert.Equal(
            [(ScopeType.Org, "acme"), (ScopeType.Environment, "prod"), (ScopeType.ApiKey, "k-frontend"), (ScopeType.Team, "web"), (ScopeType.Member, "ana")],
            BudgetDecisionRule.ScopesOf(Key));
    }
}
