using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Pricing;

namespace BudgetCluster.Grains.Tests.Pricing;

/// <summary>The price timeline rules of API.md §9 (<see cref="PriceHistory"/>, <see cref="ModelDefinition.PriceAt"/>).</summary>
public sealed class PriceHistoryTests
{
    // Any instant would do: the rules are relative to it.
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddDays(20_000).AddHours(13.5);

    private static readonly ModelPricing Cheap = Pricing(2.50m);
    private static readonly ModelPricing Dear = Pricing(5.00m);
    private static readonly ModelPricing Dearer = Pricing(7.50m);

    [Fact]
    public void Put_NewModelWithoutDate_IsInForceSinceTheBeginningOfTime()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), null, Now);

        var price = Assert.Single(model.Prices);
        Assert.Equal((1, DateTimeOffset.MinValue, Cheap), (price.Version, price.EffectiveFrom, price.Pricing));
        Assert.Same(price, model.PriceAt(DateTimeOffset.MinValue));
        Assert.Equal(1, model.PriceVersion);
    }

    [Fact]
    public void Put_NewModelWithADate_PricesNothingBeforeIt()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), Now, Now);

        Assert.Null(model.PriceAt(Now.AddTicks(-1)));
        Assert.Equal(Cheap, model.PriceAt(Now)!.Pricing);
    }

    [Fact]
    public void Put_ModelCreatedAgainAfterADelete_NumbersOnFromTheDeletedVersion()
    {
        var model = PriceHistory.Put(null, deletedVersion: 4, Model(Cheap), null, Now);

        Assert.Equal(5, Assert.Single(model.Prices).Version);
    }

    [Fact]
    public void Put_NewPriceWithoutDate_IsInForceFromNowAndEarlierEventsKeepTheOldOne()
    {
        var first = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-10));

        var changed = PriceHistory.Put(first, 0, Model(Dear), null, Now);

        Assert.Equal([1, 2], changed.Prices.Select(price => price.Version));
        Assert.Equal(Cheap, changed.PriceAt(Now.AddTicks(-1))!.Pricing);
        Assert.Equal(1, changed.PriceAt(Now.AddTicks(-1))!.Version);
        Assert.Equal(Dear, changed.PriceAt(Now)!.Pricing);
        Assert.Equal(2, changed.PriceVersion);
    }

    [Fact]
    public void Put_SamePriceAgainWithoutDate_ChangesNothing()
    {
        var first = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-1));

        var again = PriceHistory.Put(first, 0, Model(Cheap), null, Now);

        Assert.Equal(first, again);
        Assert.Single(again.Prices);
    }

    [Fact]
    public void Put_SamePriceAndDateAgain_ChangesNothing()
    {
        var first = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-1));
        var scheduled = PriceHistory.Put(first, 0, Model(Dear), Now.AddDays(3), Now);

        var again = PriceHistory.Put(scheduled, 0, Model(Dear), Now.AddDays(3), Now.AddHours(1));

        Assert.Equal(scheduled, again);
    }

    [Fact]
    public void Put_PastDateBetweenTwoVersions_AppliesUntilTheNextVersion()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-30));
        model = PriceHistory.Put(model, 0, Model(Dear), Now.AddDays(-10), Now.AddDays(-20));

        model = PriceHistory.Put(model, 0, Model(Dearer), Now.AddDays(-15), Now);

        Assert.Equal([1, 3, 2], model.Prices.Select(price => price.Version));
        Assert.Equal(Cheap, model.PriceAt(Now.AddDays(-15).AddTicks(-1))!.Pricing);
        Assert.Equal(Dearer, model.PriceAt(Now.AddDays(-15))!.Pricing);
        Assert.Equal(Dearer, model.PriceAt(Now.AddDays(-10).AddTicks(-1))!.Pricing);
        Assert.Equal(Dear, model.PriceAt(Now.AddDays(-10))!.Pricing);
        Assert.Equal(Now.AddDays(-10), PriceHistory.EffectiveTo(model.Prices, 1));
        Assert.Null(PriceHistory.EffectiveTo(model.Prices, 2));
    }

    [Fact]
    public void Put_WithoutDateBeforeAScheduledChange_KeepsTheScheduledChange()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-30));
        model = PriceHistory.Put(model, 0, Model(Dearer), Now.AddDays(5), Now.AddDays(-1));

        model = PriceHistory.Put(model, 0, Model(Dear), null, Now);

        Assert.Equal(Dear, model.PriceAt(Now)!.Pricing);
        Assert.Equal(Dearer, model.PriceAt(Now.AddDays(5))!.Pricing);
    }

    [Fact]
    public void Put_SameDateAsAnExistingVersion_SupersedesIt()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-30));
        model = PriceHistory.Put(model, 0, Model(Dear), Now.AddDays(2), Now);

        model = PriceHistory.Put(model, 0, Model(Dearer), Now.AddDays(2), Now);

        Assert.Equal([1, 2, 3], model.Prices.Select(price => price.Version));
        Assert.Equal(3, model.PriceAt(Now.AddDays(2))!.Version);
        // The superseded version is kept in the history, in force for no instant.
        Assert.Equal(Now.AddDays(2), PriceHistory.EffectiveTo(model.Prices, 1));
        Assert.Equal(model.Prices[1].EffectiveFrom, PriceHistory.EffectiveTo(model.Prices, 1));
    }

    [Fact]
    public void Put_OtherFieldsChangeWithoutNewPrice_KeepTheTimeline()
    {
        var model = PriceHistory.Put(null, 0, Model(Cheap), null, Now.AddDays(-1));

        var renamed = PriceHistory.Put(model, 0, Model(Cheap) with { Name = "gpt-4o-2024-08-06", ProviderKeyId = "pk-2" }, null, Now);

        Assert.Equal("gpt-4o-2024-08-06", renamed.Name);
        Assert.Equal("pk-2", renamed.ProviderKeyId);
        Assert.Equal(model.Prices, renamed.Prices);
    }

    [Fact]
    public void Put_PastTheMostVersions_IsAConflict()
    {
        var model = PriceHistory.Put(null, 0, Model(Pricing(1m)), null, Now);
        for (var i = 2; i <= PriceHistory.MaxVersions; i++)
        {
            model = PriceHistory.Put(model, 0, Model(Pricing(i)), Now.AddMinutes(i), Now);
        }

        var error = Assert.Throws<DefinitionConflictException>(
            () => PriceHistory.Put(model, 0, Model(Pricing(1_000m)), Now.AddDays(1), Now));
        Assert.Contains($"{PriceHistory.MaxVersions} price versions", error.Message, StringComparison.Ordinal);
        // Setting a price it already has is still fine.
        Assert.Equal(model, PriceHistory.Put(model, 0, Model(Pricing(PriceHistory.MaxVersions)), null, Now.AddDays(1)));
    }

    [Fact]
    public void PriceAt_DefinitionStoredBeforePriceHistory_IsItsOneVersionSinceAlways()
    {
        var legacy = new ModelDefinition("prod", "gpt-4o", null, Cheap, PriceVersion: 3);

        Assert.Equal(new ModelPrice(3, DateTimeOffset.MinValue, Cheap), legacy.PriceAt(Now));

        var changed = PriceHistory.Put(legacy, 0, Model(Dear), null, Now);
        Assert.Equal([3, 4], changed.Prices.Select(price => price.Version));
        Assert.Equal(Cheap, changed.PriceAt(Now.AddTicks(-1))!.Pricing);
    }

    [Fact]
    public void PriceAt_RandomTimelines_AgreeWithTheLatestVersionNotAfterTheInstant()
    {
        var random = new Random(20261207);
        for (var round = 0; round < 300; round++)
        {
            var model = PriceHistory.Put(null, 0, Model(Pricing(random.Next(1, 5))), random.Next(3) == 0 ? Now : null, Now);
            var set = new List<ModelPrice>(model.Prices);
            for (var change = random.Next(1, 12); change > 0; change--)
            {
                var from = Now.AddHours(random.Next(-48, 48));
                var before = model.Prices.Length;
                model = PriceHistory.Put(model, 0, Model(Pricing(random.Next(1, 5))), from, Now);
                if (model.Prices.Length > before)
                {
                    set.Add(model.Prices.Single(price => price.Version == model.PriceVersion));
                }
            }

            for (var probe = 0; probe < 50; probe++)
            {
                var at = Now.AddMinutes(random.Next(-49 * 60, 49 * 60));
                var expected = set.Where(price => price.EffectiveFrom <= at)
                    .OrderBy(price => price.EffectiveFrom).ThenBy(price => price.Version).LastOrDefault();
                Assert.Equal(expected, model.PriceAt(at));
            }
        }
    }

    private static ModelDefinition Model(ModelPricing pricing) => new("prod", "gpt-4o", "pk-1", pricing);

    private static ModelPricing Pricing(decimal input) => new() { InputPerMTok = input, OutputPerMTok = input * 4 };
}
