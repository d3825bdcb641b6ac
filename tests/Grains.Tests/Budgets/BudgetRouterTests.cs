using System.Collections.Immutable;
using System.Globalization;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Tests.Budgets;

public sealed class BudgetRouterTests
{
    private static readonly EnvironmentCatalog Catalog = EnvironmentCatalog.Empty with
    {
        Version = 7,
        OrgId = "acme",
        Models = ImmutableDictionary<string, ModelDefinition>.Empty
            .Add("m-1", new ModelDefinition("prod", "gpt", "pk-openai", new ModelPricing { InputPerMTok = 1m, OutputPerMTok = 1m }))
            .Add("m-2", new ModelDefinition("prod", "other", null, new ModelPricing { InputPerMTok = 1m, OutputPerMTok = 1m })),
        ApiKeys = ImmutableDictionary<string, ApiKeyBinding>.Empty
            .Add("k-1", new ApiKeyBinding("prod", "team-a", "u-1"))
            .Add("k-2", new ApiKeyBinding("prod", null, null)),
        Org = new OrgSettings { Version = 3, FailMode = FailMode.Closed },
    };

    private static readonly BudgetIndex Index = IndexOf(
        9,
        Entry("b-org", ScopeType.Org, "acme"),
        Entry("b-prod", ScopeType.Environment, "prod"),
        Entry("b-dev", ScopeType.Environment, "dev"),
        Entry("b-key", ScopeType.ApiKey, "k-1"),
        Entry("b-pk", ScopeType.ProviderKey, "pk-openai"),
        Entry("b-team", ScopeType.Team, "team-a"),
        Entry("b-team-b", ScopeType.Team, "team-b"),
        Entry("b-member", ScopeType.Member, "u-1"),
        Entry("b-ny", ScopeType.Org, "acme", BudgetPeriod.Month, "America/New_York"));

    [Fact]
    public void Attribute_KeyWithTeamAndMemberOnAProviderKeyModel_ReachesEveryScopeItBelongsTo()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        var budgets = router.Attribute(Event("k-1", "m-1")).Select(a => a.BudgetId).Order();

        Assert.Equal(["b-key", "b-member", "b-ny", "b-org", "b-pk", "b-prod", "b-team"], budgets);
    }

    [Fact]
    public void Attribute_UnknownKeyAndModel_ReachesOnlyOrgAndEnvironment()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        var budgets = router.Attribute(Event("", "")).Select(a => a.BudgetId).Order();

        Assert.Equal(["b-ny", "b-org", "b-prod"], budgets);
    }

    [Fact]
    public void Attribute_TeamBudget_CollectsFromAKeyOfAnotherEnvironmentOfTheOrg()
    {
        var devCatalog = Catalog with { ApiKeys = Catalog.ApiKeys.Add("k-dev", new ApiKeyBinding("dev", "team-a", "u-1")) };
        var dev = BudgetRouter.For("dev", devCatalog, Index);

        var budgets = dev.Attribute(Event("k-dev", "m-2")).Select(a => a.BudgetId).Order();

        Assert.Equal(["b-dev", "b-member", "b-ny", "b-org", "b-team"], budgets);
    }

    [Fact]
    public void Attribute_KeyBoundToAnotherEnvironment_CountsOnlyTowardOrgEnvironmentAndProviderKey()
    {
        var dev = BudgetRouter.For("dev", Catalog, Index);

        var budgets = dev.Attribute(Event("k-1", "m-1")).Select(a => a.BudgetId).Order();

        Assert.Equal(["b-dev", "b-ny", "b-org", "b-pk"], budgets);
    }

    [Fact]
    public void Attribute_KeyUnknownInTheCatalog_CountsNeitherKeyNorTeamBudgets()
    {
        var router = BudgetRouter.For("prod", Catalog, Index with { Entries = Index.Entries.Add("b-ghost", Entry("b-ghost", ScopeType.ApiKey, "k-ghost")) });

        var budgets = router.Attribute(Event("k-ghost", "m-2")).Select(a => a.BudgetId).Order();

        Assert.Equal(["b-ny", "b-org", "b-prod"], budgets);
    }

    [Theory]
    [InlineData("prod", "k-1", true)]
    [InlineData("dev", "k-1", false)]
    [InlineData("prod", "k-unknown", false)]
    [InlineData("prod", "", false)]
    public void BindingOf_KeyAndEnvironment_IsBoundOnlyInItsOwnEnvironment(string environmentId, string apiKeyId, bool bound)
    {
        var router = BudgetRouter.For(environmentId, Catalog, Index);

        Assert.Equal(bound, router.BindingOf(apiKeyId) is not null);
    }

    [Fact]
    public void Attribute_LateEvent_CountsTowardThePeriodItOccurredInTheBudgetsZone()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        // 03:00 UTC on 1 December is still 30 November in New York.
        var attributions = router.Attribute(Event("k-2", "m-2", "2026-12-01T03:00:00Z"));

        Assert.Equal(Utc("2026-11-01T04:00:00Z"), attributions.Single(a => a.BudgetId == "b-ny").PeriodStart);
        Assert.Equal(Utc("2026-12-01T00:00:00Z"), attributions.Single(a => a.BudgetId == "b-org").PeriodStart);
    }

    [Fact]
    public void Attribute_NoBudgets_IsEmpty()
    {
        var router = BudgetRouter.For("prod", EnvironmentCatalog.Empty);

        Assert.Empty(router.Attribute(Event("k-1", "m-1")));
    }

    [Fact]
    public void TryApply_TheNextChange_AddsMovesAndRemovesOneBudget()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        Assert.True(router.TryApply(new BudgetIndexChange(10, "b-key-2", Entry("b-key-2", ScopeType.ApiKey, "k-2"))));
        Assert.True(router.TryApply(new BudgetIndexChange(11, "b-key", Entry("b-key", ScopeType.ApiKey, "k-2"))));
        Assert.True(router.TryApply(new BudgetIndexChange(12, "b-org", null)));

        Assert.Equal(12, router.IndexVersion);
        Assert.Equal(["b-key", "b-key-2", "b-ny", "b-prod"], router.Attribute(Event("k-2", "m-2")).Select(a => a.BudgetId).Order());
        Assert.Equal(["b-member", "b-ny", "b-pk", "b-prod", "b-team"], router.Attribute(Event("k-1", "m-1")).Select(a => a.BudgetId).Order());
    }

    [Fact]
    public void TryApply_AChangeAfterAGap_IsRefusedAndChangesNothing()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        Assert.False(router.TryApply(new BudgetIndexChange(11, "b-org", null)));
        Assert.False(router.TryApply(new BudgetIndexChange(12, null, null)));

        Assert.Equal(9, router.IndexVersion);
        Assert.Contains("b-org", router.Attribute(Event("k-2", "m-2")).Select(a => a.BudgetId));
    }

    [Fact]
    public void TryApply_AChangeNotNewer_IsIgnored()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        Assert.True(router.TryApply(new BudgetIndexChange(9, "b-org", null)));
        Assert.True(router.TryApply(new BudgetIndexChange(9, null, null)));

        Assert.Contains("b-org", router.Attribute(Event("k-2", "m-2")).Select(a => a.BudgetId));
    }

    [Fact]
    public void UseIndex_AWholeIndex_ReplacesEveryEntryBefore()
    {
        var router = BudgetRouter.For("prod", Catalog, Index);

        router.UseIndex(IndexOf(20, Entry("b-only", ScopeType.Environment, "prod")));

        Assert.Equal(20, router.IndexVersion);
        Assert.Equal(["b-only"], router.Attribute(Event("k-1", "m-1")).Select(a => a.BudgetId));
    }

    private static BudgetIndex IndexOf(long version, params BudgetIndexEntry[] entries) =>
        new(version, entries.ToImmutableDictionary(entry => entry.BudgetId, StringComparer.Ordinal));

    private static BudgetIndexEntry Entry(string id, ScopeType type, string reference, BudgetPeriod period = BudgetPeriod.Month, string zone = "UTC") =>
        new(id, new BudgetScope(type, reference), period, zone, BudgetMode.HardStop);

    private static UsageEvent Event(string apiKeyId, string modelId, string occurredAt = "2026-11-21T09:00:00Z") => new()
    {
        RequestId = "r",
        AttemptIndex = 0,
        OccurredAt = Utc(occurredAt),
        ModelId = modelId,
        ApiKeyId = apiKeyId,
        PromptTokens = 10,
        CompletionTokens = 10,
        StatusCode = 200,
        UpstreamLatencyMs = 1,
        ReportedCostUsd = 0m,
    };

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
