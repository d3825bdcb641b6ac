using System.Text.Json.Serialization;

namespace BudgetCluster.Silo.Admin.Models;

/// <summary>Model prices in USD per million tokens (and per second of audio); numbers or numeric strings.</summary>
public sealed class PricingBody
{
    [JsonPropertyName("input_per_mtok")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? InputPerMTok { get; set; }

    [JsonPropertyName("output_per_mtok")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? OutputPerMTok { get; set; }

    [JsonPropertyName("cached_input_per_mtok")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? CachedInputPerMTok { get; set; }

    [JsonPropertyName("cache_write_per_mtok")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? CacheWritePerMTok { get; set; }

    [JsonPropertyName("cache_read_per_mtok")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? CacheReadPerMTok { get; set; }

    [JsonPropertyName("audio_per_second")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? AudioPerSecond { get; set; }
}
