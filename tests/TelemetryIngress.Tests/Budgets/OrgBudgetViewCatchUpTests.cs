using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Budgets;
using static BudgetCluster.TelemetryIngress.Tests.Budgets.Statuses;

namespace BudgetCluster.TelemetryIngress.Tests.Budgets;

/// <summary>
/// A view notices a transition its stream never brought (a status shows a version past the last
/// transition it told) and takes it from the budget grain: <see cref="OrgBudgetView.DueForCatchUp"/>.
/// </summary>
public sealed class OrgBudgetViewCatchUpTests
{
    [Fact]
    public async Task AStatusPastTheLastToldTransition_IsDue_AndTheMissedTransitionIsToldOnce()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 1));
        using var subscription = view.Subscribe(null);
        var exceeded = Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 2);

        // The telemetry answer brought version 2; its transition was lost on the way.
        view.Observe(exceeded);
        var due = view.DueForCatchUp(TimeSpan.Zero);
        await Push(view, BudgetEventKind.Exceeded, exceeded);
        view.CaughtUp("b-1", 2);
        await Push(view, BudgetEventKind.Exceeded, exceeded);

        Assert.Equal([("b-1", 1L, 2L)], due);
        Assert.True(subscription.Transitions.TryRead(out var told));
        Assert.Equal((BudgetEventKind.Exceeded, 2L), (told.Event.Kind, told.Event.Status.Version));
        Assert.False(subscription.Transitions.TryRead(out _));
        Assert.Empty(view.DueForCatchUp(TimeSpan.Zero));
    }

    [Fact]
    public async Task ATransitionTheStreamBringsInTime_IsNeverDue()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 1));
        var exceeded = Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 2);

        view.Observe(exceeded);
        var early = view.DueForCatchUp(TimeSpan.FromMinutes(1));
        await Push(view, BudgetEventKind.Exceeded, exceeded);

        Assert.Empty(early);
        Assert.Empty(view.DueForCatchUp(TimeSpan.Zero));
    }

    [Fact]
    public void TheInitialLoad_StandsForItsTransitions()
    {
        var view = NewView();

        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 7));

        Assert.Empty(view.DueForCatchUp(TimeSpan.Zero));
    }

    [Fact]
    public async Task AStatusRefreshPastTheLastTransition_IsDueOnce_EvenWhenTheGrainHasNothingToAdd()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 1));

        // A re-definition moves the version without a transition: the grain answers with none.
        await Push(view, BudgetEventKind.Status, Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 2));
        var due = view.DueForCatchUp(TimeSpan.Zero);
        view.CaughtUp("b-1", 2);

        Assert.Equal([("b-1", 1L, 2L)], due);
        Assert.Empty(view.DueForCatchUp(TimeSpan.Zero));
    }

    [Fact]
    public async Task ADeletedBudget_IsNotAskedFor()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 1));
        view.Observe(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 2));

        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));

        Assert.Empty(view.DueForCatchUp(TimeSpan.Zero));
    }
}
