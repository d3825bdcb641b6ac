namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The stored token counts and spend of one model's events that share a price version and whether
/// they were cache hits: what re-rating a window needs (API.md §9). <see cref="PriceVersion"/> is
/// null for events the catalog did not price (a cost the gateway reported, or none known).
/// </summary>
public sealed record TokenSums(
    string ModelId,
    int? PriceVersion,
    bool CacheHit,
    long Attempts,
    long PromptTokens,
    long CachedPromptTokens,
    long CompletionTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    decimal SpendUsd);
