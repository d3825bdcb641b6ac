namespace BudgetCluster.Grains.Pricing;

/// <summary>What one event costs, what a cache hit saved, and whether pricing was impossible.</summary>
public readonly record struct PricedUsage(decimal CostUsd, decimal CacheSavingsUsd, bool Unpriced);
