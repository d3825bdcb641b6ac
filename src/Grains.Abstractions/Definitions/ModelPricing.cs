namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// USD prices of a model, per million tokens (<c>*_per_mtok</c>) or per second of audio.
/// An unset optional price falls back to <see cref="InputPerMTok"/> (API.md §5).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-pricing")]
public sealed record ModelPricing
{
    [Id(0)] public required decimal InputPerMTok { get; init; }
    [Id(1)] public required decimal OutputPerMTok { get; init; }
    [Id(2)] public decimal? CachedInputPerMTok { get; init; }
    [Id(3)] public decimal? CacheWritePerMTok { get; init; }
    [Id(4)] public decimal? CacheReadPerMTok { get; init; }
    [Id(5)] public decimal? AudioPerSecond { get; init; }
}
