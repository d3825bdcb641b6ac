using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Pricing;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// What a window's events would cost under other prices (API.md §9), from their stored token
/// counts, changing nothing. Per model:
/// <list type="bullet">
/// <item>A model without a price in the request keeps its stored spend (delta 0).</item>
/// <item>Events the catalog priced cost their tokens at the new prices, plus what their stored cost
/// holds beyond their tokens at the price version they were priced with: the audio seconds, which
/// the ledger does not keep, stay at their price. Where that version is no longer known (the model
/// was deleted and created again), the tokens at the new prices alone.</item>
/// <item>Cache hits (cost 0), costs the gateway reported and unpriced events keep their stored cost:
/// none of them was priced by the catalog.</item>
/// </list>
/// So re-rating at the prices the events were priced with changes nothing, exactly, and doubling
/// every token price doubles the tokens' part, exactly: all of it is linear decimal arithmetic.
/// </summary>
public static class Rerating
{
    /// <param name="sums">The window's events, summed per model, price version and cache hit.</param>
    /// <param name="prices">The prices to re-rate with, per model id.</param>
    /// <param name="pricedWith">The price a model's version had, or null when it is not known.</param>
    /// <returns>A line per model with events or with a price in <paramref name="prices"/>, sorted by model id (absent first).</returns>
    public static ImmutableArray<RerateLine> Rerate(
        IEnumerable<TokenSums> sums, IReadOnlyDictionary<string, ModelPricing> prices, Func<string, int, ModelPricing?> pricedWith)
    {
        ArgumentNullException.ThrowIfNull(sums);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(pricedWith);
        var lines = prices.Keys.ToDictionary(model => model, model => new RerateLine(model, 0, 0m, 0m), StringComparer.Ordinal);
        foreach (var sum in sums)
        {
            var rerated = sum.SpendUsd;
            if (prices.TryGetValue(sum.ModelId, out var price) && sum.PriceVersion is { } version && !sum.CacheHit)
            {
                var beyondTokens = pricedWith(sum.ModelId, version) is { } old ? sum.SpendUsd - TokenCost(old, sum) : 0m;
                rerated = TokenCost(price, sum) + beyondTokens;
            }

            var line = lines.GetValueOrDefault(sum.ModelId) ?? new RerateLine(sum.ModelId, 0, 0m, 0m);
            lines[sum.ModelId] = line with
            {
                Attempts = line.Attempts + sum.Attempts,
                SpendUsd = line.SpendUsd + sum.SpendUsd,
                ReratedUsd = line.ReratedUsd + rerated,
            };
        }

        return [.. lines.Values.OrderBy(line => line.ModelId, StringComparer.Ordinal)];
    }

    private static decimal TokenCost(ModelPricing pricing, TokenSums sum) => UsagePricer.TokenCost(
        pricing, sum.PromptTokens, sum.CachedPromptTokens, sum.CompletionTokens, sum.CacheCreationTokens, sum.CacheReadTokens);
}
