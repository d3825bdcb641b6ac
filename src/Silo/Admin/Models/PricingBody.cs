using System.Text.Json.Serialization;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;

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

    /// <summary>Upper bound of any single price, a guard against a misplaced decimal point.</summary>
    public const decimal MaxPrice = 1_000_000m;

    /// <summary>A 400 naming the first price that is missing or out of range (as <c>{field}.{price}</c>), or null.</summary>
    public IResult? Check(string field) =>
        CheckPrice(InputPerMTok, field, "input_per_mtok", required: true)
        ?? CheckPrice(OutputPerMTok, field, "output_per_mtok", required: true)
        ?? CheckPrice(CachedInputPerMTok, field, "cached_input_per_mtok", required: false)
        ?? CheckPrice(CacheWritePerMTok, field, "cache_write_per_mtok", required: false)
        ?? CheckPrice(CacheReadPerMTok, field, "cache_read_per_mtok", required: false)
        ?? CheckPrice(AudioPerSecond, field, "audio_per_second", required: false);

    /// <summary>The prices, once <see cref="Check"/> found nothing wrong.</summary>
    public ModelPricing ToPricing() => new()
    {
        InputPerMTok = InputPerMTok!.Value,
        OutputPerMTok = OutputPerMTok!.Value,
        CachedInputPerMTok = CachedInputPerMTok,
        CacheWritePerMTok = CacheWritePerMTok,
        CacheReadPerMTok = CacheReadPerMTok,
        AudioPerSecond = AudioPerSecond,
    };

    private static IResult? CheckPrice(decimal? price, string field, string name, bool required) => price switch
    {
        null when required => Problems.BadRequest($"missing required field '{field}.{name}'"),
        < 0m or > MaxPrice => Problems.BadRequest($"'{field}.{name}' must be from 0 to {MaxPrice}"),
        _ => null,
    };
}
