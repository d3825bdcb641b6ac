using System.Text.Json.Serialization;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>
/// A usage event as AISIX sends it, reduced to the fields the cluster uses. Every member is
/// nullable so that a missing field is told apart from a zero. Fields it does not use (trace_id,
/// finish_reason, provider_kind, ...) are left out on purpose: unknown fields are ignored, so a
/// gateway version that changes their shape never costs a billable event. Converted to the domain
/// record by <see cref="UsageEventValidator"/>.
/// </summary>
internal sealed class UsageEventDto
{
    public string? RequestId { get; set; }
    public string? OccurredAt { get; set; }
    public string? ModelId { get; set; }
    public string? ApiKeyId { get; set; }
    public long? PromptTokens { get; set; }
    public long? CompletionTokens { get; set; }
    public long? UpstreamLatencyMs { get; set; }
    /// <summary>Name used by gateways before AISIX v0.7 for <see cref="UpstreamLatencyMs"/>.</summary>
    public long? LatencyMs { get; set; }
    public int? StatusCode { get; set; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? CostUsd { get; set; }
    public bool? GuardrailBlocked { get; set; }
    public int? AttemptIndex { get; set; }

    public string? RequestedModel { get; set; }
    public string? AttemptKind { get; set; }
    public long? CachedPromptTokens { get; set; }
    public long? ReasoningTokens { get; set; }
    public long? CacheCreationTokens { get; set; }
    public long? CacheReadTokens { get; set; }
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? AudioDurationSeconds { get; set; }
    public long? UpstreamTtftMs { get; set; }
    /// <summary>Name used by gateways before AISIX v0.7 for <see cref="UpstreamTtftMs"/>.</summary>
    public long? TtftMs { get; set; }
    public long? DownstreamLatencyMs { get; set; }
    public string? CacheStatus { get; set; }
    public long? CacheHitSavedInputTokens { get; set; }
    public long? CacheHitSavedOutputTokens { get; set; }
    public string? ErrorClass { get; set; }
}
