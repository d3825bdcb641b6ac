using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Budgets;
using static BudgetCluster.TelemetryIngress.Tests.Budgets.Statuses;

namespace BudgetCluster.TelemetryIngress.Tests.Budgets;

public sealed class OrgBudgetViewTests
{
    private static readonly (ScopeType, string?)[] OrgScope = [(ScopeType.Org, "acme")];

    [Fact]
    public async Task Load_NewerVersion_ReplacesAndOlderIsIgnored()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 2));

        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 9m, version: 1));
        var afterOlder = Assert.Single(view.BudgetsFor(OrgScope));
        await Push(view, BudgetEventKind.Exceeded, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 3));

        Assert.Equal(1m, afterOlder.SpentUsd);
        Assert.Equal(10m, Assert.Single(view.BudgetsFor(OrgScope)).SpentUsd);
    }

    [Fact]
    public async Task Load_SameVersion_IsANewerSpendRefresh()
    {
        var view = NewView();
        await Push(view, BudgetEventKind.Status, Of("b-1", ScopeType.Org, "acme", spent: 1m, version: 2));

        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 3m, version: 2));

        Assert.Equal(3m, Assert.Single(view.BudgetsFor(OrgScope)).SpentUsd);
    }

    [Fact]
    public async Task OnNext_TransitionSentAgainAfterAFailedPublish_IsToldToSubscribersOnce()
    {
        var view = NewView();
        using var subscription = view.Subscribe(null);
        var exceeded = Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 3);

        await Push(view, BudgetEventKind.Exceeded, exceeded);
        await Push(view, BudgetEventKind.Exceeded, exceeded);
        await Push(view, BudgetEventKind.Cleared, Of("b-1", ScopeType.Org, "acme", spent: 0m, version: 4));

        var told = new List<(BudgetEventKind, long)>();
        while (subscription.Transitions.TryRead(out var entry))
        {
            told.Add((entry.Event.Kind, entry.Event.Status.Version));
        }

        Assert.Equal([(BudgetEventKind.Exceeded, 3L), (BudgetEventKind.Cleared, 4L)], told);
    }

    [Fact]
    public async Task Deleted_RemovesTheBudget()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));

        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 5));

        Assert.Empty(view.BudgetsFor(OrgScope));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Load_AfterDeletedWithAVersionNotNewer_StaysDeleted(long version)
    {
        // The initial load read the status before the deletion, or a batch answer was still on its way.
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));
        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 5));

        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: version));

        Assert.Empty(view.BudgetsFor(OrgScope));
    }

    [Theory]
    [InlineData(BudgetEventKind.Status)]
    [InlineData(BudgetEventKind.Exceeded)]
    [InlineData(BudgetEventKind.Threshold)]
    public async Task OnNext_AfterDeletedWithAVersionNotNewer_StaysDeleted(BudgetEventKind kind)
    {
        var view = NewView();
        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", version: 5));

        await Push(view, kind, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 5));

        Assert.Empty(view.BudgetsFor(OrgScope));
    }

    [Fact]
    public async Task Deleted_BeforeTheBudgetWasEverSeen_StillKeepsItsOlderStatusOut()
    {
        var view = NewView();
        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", version: 7));

        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 12m, version: 6));

        Assert.Empty(view.BudgetsFor(OrgScope));
    }

    [Fact]
    public async Task Load_ReDefinitionWithAHigherVersion_IsBackAndLiftsTheTombstone()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));
        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 5));

        await Push(view, BudgetEventKind.Status, Of("b-1", ScopeType.Team, "web", version: 6));
        view.Load(Of("b-1", ScopeType.Team, "web", spent: 2m, version: 6));

        Assert.Empty(view.BudgetsFor(OrgScope));
        Assert.Equal(2m, Assert.Single(view.BudgetsFor([(ScopeType.Team, "web")])).SpentUsd);
    }

    [Fact]
    public async Task Deleted_OlderThanAReDefinitionAlreadyHere_IsIgnored()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", version: 8));

        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", version: 5));

        Assert.Single(view.BudgetsFor(OrgScope));
    }

    [Fact]
    public async Task Subscribe_AfterDeleted_TheSnapshotDoesNotHoldIt()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));
        view.Load(Of("b-2", ScopeType.Org, "acme", spent: 10m, version: 1));
        await Push(view, BudgetEventKind.Deleted, Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));
        view.Load(Of("b-1", ScopeType.Org, "acme", spent: 10m, version: 4));

        using var subscription = view.Subscribe(null);

        Assert.Equal("b-2", Assert.Single(subscription.Snapshot!).BudgetId);
    }

    [Fact]
    public void BudgetsFor_NullRef_MatchesNothing()
    {
        var view = NewView();
        view.Load(Of("b-1", ScopeType.Team, "web"));

        Assert.Empty(view.BudgetsFor([(ScopeType.Team, null)]));
    }
}
