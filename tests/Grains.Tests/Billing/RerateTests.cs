using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Pricing;

namespace BudgetCluster.Grains.Tests.Billing;

/// <summary>The re-rating rules of API.md §9 (<see cref="Rerating"/>).</summary>
public sealed class RerateTests
{
    private static readonly ModelPricing Gpt = new() { InputPerMTok = 2.50m, OutputPerMTok = 10m, CachedInputPerMTok = 1.25m };
    private static readonly ModelPricing GptDoubled = new() { InputPerMTok = 5m, OutputPerMTok = 20m, CachedInputPerMTok = 2.50m };

    [Fact]
    public void Rerate_AtThePricesTheEventsWerePricedWith_ChangesNothingExactly()
    {
        var sums = Priced("m-gpt", 1, Gpt, attempts: 7, prompt: 18_431, cached: 1_536, completion: 2_121);

        var line = Assert.Single(Rerating.Rerate([sums], Prices(("m-gpt", Gpt)), PricedWith(("m-gpt", 1, Gpt))));

        Assert.Equal(sums.SpendUsd, line.ReratedUsd);
        Assert.Equal(0m, line.DeltaUsd);
    }

    [Fact]
    public void Rerate_DoubledPrices_DoubleTheSpendExactly()
    {
        var random = new Random(3);
        var sums = Enumerable.Range(0, 50)
            .Select(_ => Priced("m-gpt", 1, Gpt, random.Next(1, 9), random.Next(0, 100_000), random.Next(0, 1_000), random.Next(0, 9_999)))
            .ToList();

        var line = Assert.Single(Rerating.Rerate(sums, Prices(("m-gpt", GptDoubled)), PricedWith(("m-gpt", 1, Gpt))));

        Assert.Equal(2 * sums.Sum(sum => sum.SpendUsd), line.ReratedUsd);
        Assert.Equal(sums.Sum(sum => sum.SpendUsd), line.DeltaUsd);
    }

    [Fact]
    public void Rerate_ModelWithoutANewPrice_KeepsItsSpend()
    {
        var claude = Priced("m-claude", 2, Gpt, 3, 1000, 0, 100);

        var lines = Rerating.Rerate([claude, Priced("m-gpt", 1, Gpt, 1, 10, 0, 1)], Prices(("m-gpt", GptDoubled)), PricedWith(("m-gpt", 1, Gpt)));

        Assert.Equal(["m-claude", "m-gpt"], lines.Select(line => line.ModelId));
        Assert.Equal((claude.SpendUsd, 0m), (lines[0].ReratedUsd, lines[0].DeltaUsd));
    }

    [Fact]
    public void Rerate_ReportedCostsCacheHitsAndUnpricedEvents_KeepTheirStoredCost()
    {
        TokenSums[] sums =
        [
            new("m-gpt", null, false, 2, 1000, 0, 100, 0, 0, 0.75m),
            new("m-gpt", 1, true, 3, 5000, 0, 500, 0, 0, 0m),
            new("m-gpt", null, false, 1, 200, 0, 20, 0, 0, 0m),
        ];

        var line = Assert.Single(Rerating.Rerate(sums, Prices(("m-gpt", GptDoubled)), PricedWith(("m-gpt", 1, Gpt))));

        Assert.Equal((6L, 0.75m, 0.75m), (line.Attempts, line.SpendUsd, line.ReratedUsd));
    }

    [Fact]
    public void Rerate_StoredCostBeyondTheTokens_AudioKeepsItsPrice()
    {
        var tokens = UsagePricer.TokenCost(Gpt, 1000, 0, 100, 0, 0);
        var withAudio = new TokenSums("m-gpt", 1, false, 1, 1000, 0, 100, 0, 0, tokens + 0.30m);

        var line = Assert.Single(Rerating.Rerate([withAudio], Prices(("m-gpt", GptDoubled)), PricedWith(("m-gpt", 1, Gpt))));

        Assert.Equal(2 * tokens + 0.30m, line.ReratedUsd);
    }

    [Fact]
    public void Rerate_VersionNoLongerKnown_IsTheTokensAtTheNewPrices()
    {
        var sums = Priced("m-gpt", 4, Gpt, 2, 1000, 0, 100);

        var line = Assert.Single(Rerating.Rerate([sums], Prices(("m-gpt", GptDoubled)), (_, _) => null));

        Assert.Equal(UsagePricer.TokenCost(GptDoubled, 1000, 0, 100, 0, 0), line.ReratedUsd);
    }

    [Fact]
    public void Rerate_PriceForAModelWithoutEvents_IsALineOfZeros()
    {
        var line = Assert.Single(Rerating.Rerate([], Prices(("m-new", Gpt)), (_, _) => null));

        Assert.Equal(new RerateLine("m-new", 0, 0m, 0m), line);
    }

    [Fact]
    public void Rerate_EventsOfTwoPriceVersions_ReratesEachFromItsOwnPrice()
    {
        var v1 = Priced("m-gpt", 1, Gpt, 2, 1000, 0, 100);
        var v2 = Priced("m-gpt", 2, GptDoubled, 2, 1000, 0, 100);

        var line = Assert.Single(Rerating.Rerate([v1, v2], Prices(("m-gpt", GptDoubled)), PricedWith(("m-gpt", 1, Gpt), ("m-gpt", 2, GptDoubled))));

        Assert.Equal(2 * v2.SpendUsd, line.ReratedUsd);
        Assert.Equal(v2.SpendUsd - v1.SpendUsd, line.DeltaUsd);
    }

    private static TokenSums Priced(string model, int version, ModelPricing pricing, long attempts, long prompt, long cached, long completion) =>
        new(model, version, false, attempts, prompt, cached, completion, 0, 0, UsagePricer.TokenCost(pricing, prompt, cached, completion, 0, 0));

    private static Dictionary<string, ModelPricing> Prices(params (string Model, ModelPricing Pricing)[] prices) =>
        prices.ToDictionary(price => price.Model, price => price.Pricing, StringComparer.Ordinal);

    private static Func<string, int, ModelPricing?> PricedWith(params (string Model, int Version, ModelPricing Pricing)[] versions) =>
        (model, version) => versions.FirstOrDefault(v => v.Model == model && v.Version == version).Pricing;
}
