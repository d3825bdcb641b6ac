using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;

namespace BudgetCluster.Grains.Pricing;

/// <summary>
/// Prices one usage event per API.md §5, in exact decimal arithmetic:
/// <c>(prompt - cached_prompt)·input + cached_prompt·cached_input + completion·output
/// + cache_creation·cache_write + cache_read·cache_read + audio_seconds·audio_per_second</c>,
/// token prices per million tokens, unset prices falling back to the input price.
/// </summary>
public static class UsagePricer
{
    private const decimal TokensPerPriceUnit = 1_000_000m;

    /// <param name="usage">The event.</param>
    /// <param name="pricing">The pricing of the event's model, or null when the model is unknown.</param>
    public static PricedUsage Price(UsageEvent usage, ModelPricing? pricing)
    {
        ArgumentNullException.ThrowIfNull(usage);

        if (usage.CacheHit)
        {
            // Served from the gateway's cache: nothing was spent upstream (whatever cost_usd says);
            // what it would have cost is the saving, which needs the model's prices.
            if (pricing is null)
            {
                var hasSavings = usage.CacheHitSavedInputTokens > 0 || usage.CacheHitSavedOutputTokens > 0;
                return new PricedUsage(0m, 0m, Unpriced: hasSavings);
            }

            var savings = PerToken(usage.CacheHitSavedInputTokens, pricing.InputPerMTok)
                + PerToken(usage.CacheHitSavedOutputTokens, pricing.OutputPerMTok);
            return new PricedUsage(0m, savings, Unpriced: false);
        }

        if (usage.ReportedCostUsd != 0m)
        {
            return new PricedUsage(usage.ReportedCostUsd, 0m, Unpriced: false);
        }

        if (pricing is null)
        {
            return new PricedUsage(0m, 0m, Unpriced: HasBillableUsage(usage));
        }

        var tokenCost = TokenCost(
            pricing, usage.PromptTokens, usage.CachedPromptTokens, usage.CompletionTokens, usage.CacheCreationTokens, usage.CacheReadTokens);
        var audioCost = usage.AudioDurationSeconds * (pricing.AudioPerSecond ?? pricing.InputPerMTok);
        return new PricedUsage(tokenCost + audioCost, 0m, Unpriced: false);
    }

    /// <summary>
    /// The tokens' part of the cost (everything but audio), in USD. Linear in every count, so the
    /// cost of summed counts is the sum of the costs, exactly.
    /// </summary>
    public static decimal TokenCost(
        ModelPricing pricing, long promptTokens, long cachedPromptTokens, long completionTokens, long cacheCreationTokens, long cacheReadTokens)
    {
        ArgumentNullException.ThrowIfNull(pricing);
        var input = pricing.InputPerMTok;
        var cost =
            (promptTokens - cachedPromptTokens) * input
            + cachedPromptTokens * (pricing.CachedInputPerMTok ?? input)
            + completionTokens * pricing.OutputPerMTok
            + cacheCreationTokens * (pricing.CacheWritePerMTok ?? input)
            + cacheReadTokens * (pricing.CacheReadPerMTok ?? input);
        return cost / TokensPerPriceUnit;
    }

    private static decimal PerToken(long tokens, decimal pricePerMTok) => tokens * pricePerMTok / TokensPerPriceUnit;

    private static bool HasBillableUsage(UsageEvent usage) =>
        usage.PromptTokens > 0
        || usage.CompletionTokens > 0
        || usage.CacheCreationTokens > 0
        || usage.CacheReadTokens > 0
        || usage.AudioDurationSeconds > 0m;
}
