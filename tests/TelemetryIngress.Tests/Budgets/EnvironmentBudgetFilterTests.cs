using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using static BudgetCluster.TelemetryIngress.Tests.Budgets.Statuses;

namespace BudgetCluster.TelemetryIngress.Tests.Budgets;

public sealed class EnvironmentBudgetFilterTests
{
    private static readonly ModelPricing Pricing = new() { InputPerMTok = 1m, OutputPerMTok = 1m };

    private static readonly EnvironmentCatalog Prod = EnvironmentCatalog.Empty with
    {
        Version = 3,
        OrgId = "acme",
        ApiKeys = ImmutableDictionary<string, ApiKeyBinding>.Empty.Add("k-frontend", new ApiKeyBinding("prod", "web", "ana")),
        Models = ImmutableDictionary<string, ModelDefinition>.Empty.Add("m-claude", new ModelDefinition("prod", "claude", "pk-anthropic", Pricing)),
    };

    [Theory]
    [InlineData(ScopeType.Org, "acme", true)]
    [InlineData(ScopeType.Team, "any-team", true)]
    [InlineData(ScopeType.Member, "any-member", true)]
    [InlineData(ScopeType.Environment, "prod", true)]
    [InlineData(ScopeType.Environment, "staging", false)]
    [InlineData(ScopeType.ApiKey, "k-frontend", true)]
    [InlineData(ScopeType.ApiKey, "k-staging", false)]
    [InlineData(ScopeType.ProviderKey, "pk-anthropic", true)]
    [InlineData(ScopeType.ProviderKey, "pk-openai", false)]
    public void Concerns_ByScope(ScopeType type, string reference, bool expected)
    {
        Assert.Equal(expected, EnvironmentBudgetFilter.Concerns(new BudgetScope(type, reference), "prod", Prod));
    }

    [Fact]
    public void Snapshot_HoldsTheEnvironmentsBudgetsThatAreNotOk_ByBudgetId()
    {
        var statuses = new[]
        {
            Of("b-3", ScopeType.Org, "acme", spent: 10m),
            Of("b-1", ScopeType.ApiKey, "k-frontend", spent: 8m),
            Of("b-2", ScopeType.Org, "acme", spent: 1m),
            Of("b-4", ScopeType.Environment, "staging", spent: 10m),
        };

        var snapshot = EnvironmentBudgetFilter.Snapshot(statuses, "prod", Prod).Select(s => s.BudgetId);

        Assert.Equal(["b-1", "b-3"], snapshot);
    }
}
