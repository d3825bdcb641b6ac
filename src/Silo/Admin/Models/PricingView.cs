using System.Text.Json.Serialization;

namespace BudgetCluster.Silo.Admin.Models;

/// <summary>Model prices as decimal strings; unset optional prices are null (they fall back to the input price).</summary>
public sealed record PricingView(
    [property: JsonPropertyName("input_per_mtok")] string InputPerMTok,
    [property: JsonPropertyName("output_per_mtok")] string OutputPerMTok,
    [property: JsonPropertyName("cached_input_per_mtok")] string? CachedInputPerMTok,
    [property: JsonPropertyName("cache_write_per_mtok")] string? CacheWritePerMTok,
    [property: JsonPropertyName("cache_read_per_mtok")] string? CacheReadPerMTok,
    [property: JsonPropertyName("audio_per_second")] string? AudioPerSecond);
