using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Pricing;

namespace BudgetCluster.Grains.Tests.Pricing;

public sealed class UsagePricerTests
{
    private static readonly ModelPricing Gpt4o = new()
    {
        InputPerMTok = 2.50m,
        OutputPerMTok = 10.00m,
        CachedInputPerMTok = 1.25m,
    };

    private static readonly ModelPricing Claude = new()
    {
        InputPerMTok = 3.00m,
        OutputPerMTok = 15.00m,
        CacheWritePerMTok = 3.75m,
        CacheReadPerMTok = 0.30m,
        AudioPerSecond = 0.0001m,
    };

    [Fact]
    public void Price_CachedPromptTokens_UseTheCachedInputRate()
    {
        // (1843 - 1536)·2.50 + 1536·1.25 + 212·10.00 = 767.5 + 1920 + 2120 = 4807.5 per million
        var priced = UsagePricer.Price(Event(prompt: 1843, completion: 212) with { CachedPromptTokens = 1536 }, Gpt4o);

        Assert.Equal(0.0048075m, priced.CostUsd);
        Assert.Equal(0m, priced.CacheSavingsUsd);
        Assert.False(priced.Unpriced);
    }

    [Fact]
    public void Price_CacheCreationAndReadTokens_UseTheirOwnRates()
    {
        // 2210·3 + 655·15 + 1024·3.75 + 100·0.30 = 6630 + 9825 + 3840 + 30 = 20325 per million
        var usage = Event(prompt: 2210, completion: 655) with { CacheCreationTokens = 1024, CacheReadTokens = 100 };

        Assert.Equal(0.020325m, UsagePricer.Price(usage, Claude).CostUsd);
    }

    [Fact]
    public void Price_UnsetOptionalPrices_FallBackToTheInputPrice()
    {
        var inputOnly = new ModelPricing { InputPerMTok = 2m, OutputPerMTok = 8m };
        // cached 100·2, uncached 100·2, cache write 10·2, cache read 10·2 = 440 per million; audio 3 s · 2
        var usage = Event(prompt: 200, completion: 0) with
        {
            CachedPromptTokens = 100,
            CacheCreationTokens = 10,
            CacheReadTokens = 10,
            AudioDurationSeconds = 3m,
        };

        Assert.Equal(0.00044m + 6m, UsagePricer.Price(usage, inputOnly).CostUsd);
    }

    [Fact]
    public void Price_AudioSeconds_UseThePerSecondPrice()
    {
        var usage = Event(prompt: 0, completion: 0) with { AudioDurationSeconds = 12.5m };

        Assert.Equal(0.00125m, UsagePricer.Price(usage, Claude).CostUsd);
    }

    [Fact]
    public void Price_CacheHit_CostsNothingAndSavesTheSavedTokensAtInputAndOutputRates()
    {
        // 120·2.50 + 48·10.00 = 780 per million
        var usage = Event(prompt: 120, completion: 48) with
        {
            CacheHit = true,
            CacheHitSavedInputTokens = 120,
            CacheHitSavedOutputTokens = 48,
            ReportedCostUsd = 0.5m,
        };

        var priced = UsagePricer.Price(usage, Gpt4o);

        Assert.Equal(0m, priced.CostUsd);
        Assert.Equal(0.00078m, priced.CacheSavingsUsd);
        Assert.False(priced.Unpriced);
    }

    [Fact]
    public void Price_CacheHitOfAModelWithoutPricing_IsUnpricedSoTheMissingSavingsShow()
    {
        var usage = Event(prompt: 120, completion: 48) with { CacheHit = true, CacheHitSavedInputTokens = 120 };

        var priced = UsagePricer.Price(usage, null);

        Assert.Equal(0m, priced.CostUsd);
        Assert.Equal(0m, priced.CacheSavingsUsd);
        Assert.True(priced.Unpriced);
    }

    [Fact]
    public void Price_NonZeroReportedCost_IsUsedAsIs()
    {
        var usage = Event(prompt: 1000, completion: 1000) with { ReportedCostUsd = 0.123456789m };

        Assert.Equal(0.123456789m, UsagePricer.Price(usage, Gpt4o).CostUsd);
        Assert.Equal(0.123456789m, UsagePricer.Price(usage, null).CostUsd);
        Assert.False(UsagePricer.Price(usage, null).Unpriced);
    }

    [Fact]
    public void Price_TokensWithoutAModel_CostNothingAndAreUnpriced()
    {
        var priced = UsagePricer.Price(Event(prompt: 10, completion: 0), null);

        Assert.Equal(0m, priced.CostUsd);
        Assert.True(priced.Unpriced);
    }

    [Fact]
    public void Price_NoTokensWithoutAModel_IsNotUnpriced()
    {
        Assert.False(UsagePricer.Price(Event(prompt: 0, completion: 0), null).Unpriced);
    }

    [Fact]
    public void Price_ManySmallEvents_SumExactlyWithoutBinaryFloatingError()
    {
        // 0.1 + 0.2 style errors would show after a million additions in double.
        var pricing = new ModelPricing { InputPerMTok = 0.1m, OutputPerMTok = 0.2m };
        var total = 0m;
        for (var i = 0; i < 1_000_000; i++)
        {
            total += UsagePricer.Price(Event(prompt: 1, completion: 1), pricing).CostUsd;
        }

        Assert.Equal(0.3m, total);
    }

    private static UsageEvent Event(long prompt, long completion) => new()
    {
        RequestId = "r-1",
        AttemptIndex = 0,
        OccurredAt = DateTimeOffset.Parse("2026-11-21T09:14:07Z", System.Globalization.CultureInfo.InvariantCulture),
        ModelId = "m",
        ApiKeyId = "k",
        PromptTokens = prompt,
        CompletionTokens = completion,
        StatusCode = 200,
        UpstreamLatencyMs = 10,
        ReportedCostUsd = 0m,
    };
}
