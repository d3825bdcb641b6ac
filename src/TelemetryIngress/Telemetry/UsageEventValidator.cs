using System.Globalization;
using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary>
/// Checks one raw event of a telemetry batch against API.md §3 and builds the domain
/// <see cref="UsageEvent"/>, or says precisely why the event is rejected.
/// </summary>
internal static class UsageEventValidator
{
    public const long MaxTokens = int.MaxValue;
    public const int MaxAttemptIndex = 10_000;
    public const int MaxIdLength = 256;
    public const decimal MaxCostUsd = 1_000_000m;
    public const decimal MaxAudioSeconds = 100_000_000m;

    private const string TokenRule = "must be an integer from 0 to 2147483647";
    private const string StringRule = "must be a string";
    private const string BoolRule = "must be true or false";
    private const string MillisecondsRule = "must be a non-negative integer number of milliseconds";

    private static readonly Dictionary<string, string> Rules = new(StringComparer.Ordinal)
    {
        ["request_id"] = StringRule,
        ["occurred_at"] = "must be an RFC 3339 timestamp string such as 2026-11-28T10:00:00Z",
        ["model_id"] = StringRule,
        ["api_key_id"] = StringRule,
        ["prompt_tokens"] = TokenRule,
        ["completion_tokens"] = TokenRule,
        ["cached_prompt_tokens"] = TokenRule,
        ["reasoning_tokens"] = TokenRule,
        ["cache_creation_tokens"] = TokenRule,
        ["cache_read_tokens"] = TokenRule,
        ["cache_hit_saved_input_tokens"] = TokenRule,
        ["cache_hit_saved_output_tokens"] = TokenRule,
        ["upstream_latency_ms"] = MillisecondsRule,
        ["latency_ms"] = MillisecondsRule,
        ["upstream_ttft_ms"] = MillisecondsRule,
        ["ttft_ms"] = MillisecondsRule,
        ["downstream_latency_ms"] = MillisecondsRule,
        ["status_code"] = "must be an integer from 0 to 999",
        ["cost_usd"] = "must be a non-negative number or numeric string",
        ["audio_duration_seconds"] = "must be a non-negative number or numeric string",
        ["guardrail_blocked"] = BoolRule,
        ["attempt_index"] = $"must be an integer from 0 to {MaxAttemptIndex}",
        ["requested_model"] = StringRule,
        ["attempt_kind"] = StringRule,
        ["cache_status"] = StringRule,
        ["error_class"] = StringRule,
    };

    /// <param name="element">One element of the batch's <c>events</c> array.</param>
    /// <param name="now">When the batch was received: the window of accepted times is relative to it.</param>
    /// <param name="maxClockSkew">How far after <paramref name="now"/> <c>occurred_at</c> may be (<c>DataPlane:MaxClockSkew</c>).</param>
    /// <param name="maxEventAge">How far before <paramref name="now"/> <c>occurred_at</c> may be (<c>DataPlane:MaxEventAge</c>).</param>
    /// <param name="error">Why the event is rejected, when it is.</param>
    /// <returns>The event, or null with <paramref name="error"/> set.</returns>
    public static UsageEvent? Validate(
        JsonElement element, DateTimeOffset now, TimeSpan maxClockSkew, TimeSpan maxEventAge, out string? error) =>
        Validate(element, now, maxClockSkew, maxEventAge, out error, out _);

    /// <param name="element">One element of the batch's <c>events</c> array.</param>
    /// <param name="now">When the batch was received: the window of accepted times is relative to it.</param>
    /// <param name="maxClockSkew">How far after <paramref name="now"/> <c>occurred_at</c> may be (<c>DataPlane:MaxClockSkew</c>).</param>
    /// <param name="maxEventAge">How far before <paramref name="now"/> <c>occurred_at</c> may be (<c>DataPlane:MaxEventAge</c>).</param>
    /// <param name="error">Why the event is rejected, when it is: every problem found, joined by "; ".</param>
    /// <param name="reason">
    /// The <see cref="RejectionReasons"/> code of the rejection, when it is one: that of the first
    /// problem found (a missing field before a malformed one, the time before the other values).
    /// </param>
    /// <returns>The event, or null with <paramref name="error"/> and <paramref name="reason"/> set.</returns>
    public static UsageEvent? Validate(
        JsonElement element, DateTimeOffset now, TimeSpan maxClockSkew, TimeSpan maxEventAge, out string? error, out string? reason)
    {
        reason = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = $"event must be a JSON object, not {Describe(element.ValueKind)}";
            reason = RejectionReasons.NotAnObject;
            return null;
        }

        UsageEventDto dto;
        try
        {
            dto = element.Deserialize(DataPlaneJsonContext.Default.UsageEventDto)!;
        }
        catch (JsonException ex)
        {
            error = JsonFieldError.Describe(ex, Rules);
            reason = RejectionReasons.InvalidField;
            return null;
        }

        var problems = new EventProblems();
        var requestId = Required(dto.RequestId, "request_id", problems);
        var occurredAtText = Required(dto.OccurredAt, "occurred_at", problems);
        var modelId = Required(dto.ModelId, "model_id", problems);
        var apiKeyId = Required(dto.ApiKeyId, "api_key_id", problems);
        var promptTokens = Required(dto.PromptTokens, "prompt_tokens", problems);
        var completionTokens = Required(dto.CompletionTokens, "completion_tokens", problems);
        var latency = Required(dto.UpstreamLatencyMs ?? dto.LatencyMs, "upstream_latency_ms", problems);
        var statusCode = Required(dto.StatusCode, "status_code", problems);
        var cost = Required(dto.CostUsd, "cost_usd", problems);
        var guardrailBlocked = Required(dto.GuardrailBlocked, "guardrail_blocked", problems);
        var attemptIndex = Required(dto.AttemptIndex, "attempt_index", problems);

        if (requestId is not null && !IsVisibleAscii(requestId, MaxIdLength))
        {
            problems.Add("'request_id' must be 1-256 visible ASCII characters (0x21-0x7E), without spaces");
        }

        DateTimeOffset occurredAt = default;
        if (occurredAtText is not null)
        {
            if (!WireFormat.TryParseInstant(occurredAtText, out occurredAt))
            {
                problems.Add($"'occurred_at' {Rules["occurred_at"]}");
            }
            else if (occurredAt > now + maxClockSkew)
            {
                problems.Add(
                    RejectionReasons.FutureOccurredAt,
                    $"'occurred_at' {occurredAtText} is more than {maxClockSkew.TotalMinutes:0.##} minutes in the future");
            }
            else if (occurredAt < now - maxEventAge)
            {
                // Besides budgets never looking that far back, an unbounded past lets a zero time
                // (0001-01-01, Go's default) reach date arithmetic at the edge of the calendar.
                problems.Add(
                    RejectionReasons.TooOld,
                    $"'occurred_at' {occurredAtText} is more than {Describe(maxEventAge)} old (DataPlane:MaxEventAge)");
            }
        }

        CheckLength(modelId, "model_id", problems);
        CheckLength(apiKeyId, "api_key_id", problems);
        CheckLength(dto.RequestedModel, "requested_model", problems);
        CheckLength(dto.AttemptKind, "attempt_kind", problems);
        CheckLength(dto.ErrorClass, "error_class", problems);
        CheckLength(dto.CacheStatus, "cache_status", problems);
        CheckTokens(promptTokens, "prompt_tokens", problems);
        CheckTokens(completionTokens, "completion_tokens", problems);
        CheckTokens(dto.CachedPromptTokens, "cached_prompt_tokens", problems);
        CheckTokens(dto.ReasoningTokens, "reasoning_tokens", problems);
        CheckTokens(dto.CacheCreationTokens, "cache_creation_tokens", problems);
        CheckTokens(dto.CacheReadTokens, "cache_read_tokens", problems);
        CheckTokens(dto.CacheHitSavedInputTokens, "cache_hit_saved_input_tokens", problems);
        CheckTokens(dto.CacheHitSavedOutputTokens, "cache_hit_saved_output_tokens", problems);
        CheckNonNegative(latency, dto.UpstreamLatencyMs is null ? "latency_ms" : "upstream_latency_ms", problems);
        CheckNonNegative(dto.UpstreamTtftMs ?? dto.TtftMs, dto.UpstreamTtftMs is null ? "ttft_ms" : "upstream_ttft_ms", problems);
        CheckNonNegative(dto.DownstreamLatencyMs, "downstream_latency_ms", problems);
        if (statusCode is < 0 or > 999)
        {
            problems.Add($"'status_code' {Rules["status_code"]}");
        }

        if (cost is < 0m or > MaxCostUsd)
        {
            problems.Add($"'cost_usd' must be from 0 to {MaxCostUsd}");
        }

        if (dto.AudioDurationSeconds is < 0m or > MaxAudioSeconds)
        {
            problems.Add($"'audio_duration_seconds' must be from 0 to {MaxAudioSeconds}");
        }

        if (attemptIndex is < 0 or > MaxAttemptIndex)
        {
            problems.Add($"'attempt_index' {Rules["attempt_index"]}");
        }

        if (dto.CachedPromptTokens > promptTokens)
        {
            problems.Add("'cached_prompt_tokens' must not exceed 'prompt_tokens'");
        }

        if (problems.Count > 0)
        {
            error = problems.ToString();
            reason = problems.Reason;
            return null;
        }

        error = null;
        return new UsageEvent
        {
            RequestId = requestId!,
            AttemptIndex = attemptIndex!.Value,
            OccurredAt = occurredAt,
            ModelId = modelId!,
            ApiKeyId = apiKeyId!,
            PromptTokens = promptTokens!.Value,
            CompletionTokens = completionTokens!.Value,
            CachedPromptTokens = dto.CachedPromptTokens ?? 0,
            CacheCreationTokens = dto.CacheCreationTokens ?? 0,
            CacheReadTokens = dto.CacheReadTokens ?? 0,
            ReasoningTokens = dto.ReasoningTokens ?? 0,
            AudioDurationSeconds = dto.AudioDurationSeconds ?? 0m,
            StatusCode = statusCode!.Value,
            UpstreamLatencyMs = latency!.Value,
            UpstreamTtftMs = dto.UpstreamTtftMs ?? dto.TtftMs,
            ReportedCostUsd = cost!.Value,
            GuardrailBlocked = guardrailBlocked!.Value,
            CacheHit = string.Equals(dto.CacheStatus, "hit", StringComparison.OrdinalIgnoreCase),
            CacheHitSavedInputTokens = dto.CacheHitSavedInputTokens ?? 0,
            CacheHitSavedOutputTokens = dto.CacheHitSavedOutputTokens ?? 0,
            RequestedModel = dto.RequestedModel,
            AttemptKind = dto.AttemptKind,
            ErrorClass = dto.ErrorClass,
            CacheStatus = dto.CacheStatus,
            DownstreamLatencyMs = dto.DownstreamLatencyMs,
        };
    }

    private static bool IsVisibleAscii(string value, int maxLength)
    {
        if (value.Length is 0 || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static T? Required<T>(T? value, string field, EventProblems problems)
        where T : class
    {
        if (value is null)
        {
            problems.Add(RejectionReasons.MissingField, $"missing required field '{field}'");
        }

        return value;
    }

    private static T? Required<T>(T? value, string field, EventProblems problems)
        where T : struct
    {
        if (value is null)
        {
            problems.Add(RejectionReasons.MissingField, $"missing required field '{field}'");
        }

        return value;
    }

    private static void CheckLength(string? value, string field, EventProblems problems)
    {
        if (value is { Length: > MaxIdLength })
        {
            problems.Add($"'{field}' must be at most {MaxIdLength} characters");
        }
        else if (value is not null && value.Any(char.IsControl))
        {
            // PostgreSQL text cannot hold NUL; no id needs a control character. (Lone surrogates
            // never get this far: System.Text.Json replaces them when it reads the body.)
            problems.Add($"'{field}' must not contain control characters");
        }
    }

    private static void CheckTokens(long? value, string field, EventProblems problems)
    {
        if (value is < 0 or > MaxTokens)
        {
            problems.Add($"'{field}' {TokenRule}");
        }
    }

    private static void CheckNonNegative(long? value, string field, EventProblems problems)
    {
        if (value < 0)
        {
            problems.Add($"'{field}' {MillisecondsRule}");
        }
    }

    private static string Describe(TimeSpan age) => age switch
    {
        { Ticks: var ticks } when ticks % TimeSpan.TicksPerDay == 0 => Plural((long)age.TotalDays, "day"),
        { Ticks: var ticks } when ticks % TimeSpan.TicksPerHour == 0 => Plural((long)age.TotalHours, "hour"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{age.TotalMinutes:0.##} minutes"),
    };

    private static string Plural(long count, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(count == 1 ? "" : "s")}");

    /// <summary>The problems of one event, in the order found, and the reason code of the first.</summary>
    private sealed class EventProblems
    {
        private readonly List<string> _messages = [];

        public int Count => _messages.Count;

        public string? Reason { get; private set; }

        /// <summary>A value of the wrong type, range, length or form: <see cref="RejectionReasons.InvalidField"/>.</summary>
        public void Add(string message) => Add(RejectionReasons.InvalidField, message);

        public void Add(string reason, string message)
        {
            Reason ??= reason;
            _messages.Add(message);
        }

        public override string ToString() => string.Join("; ", _messages);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
