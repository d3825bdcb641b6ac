using System.Text.Json;
using System.Text.Json.Nodes;
using BudgetCluster.TelemetryIngress.Telemetry;

namespace BudgetCluster.TelemetryIngress.Tests.Telemetry;

public sealed class UsageEventValidatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Validate_CompleteEvent_BuildsTheDomainEvent()
    {
        var usage = Validate(Valid(), out var error);

        Assert.Null(error);
        Assert.NotNull(usage);
        Assert.Equal("req-1", usage.RequestId);
        Assert.Equal(100, usage.PromptTokens);
        Assert.Equal(1800, usage.UpstreamLatencyMs);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T09:59:00Z", System.Globalization.CultureInfo.InvariantCulture), usage.OccurredAt);
    }

    [Fact]
    public void Validate_LegacyLatencyNames_AreAccepted()
    {
        var e = Valid();
        e.Remove("upstream_latency_ms");
        e["latency_ms"] = 1800;
        e["ttft_ms"] = 240;

        var usage = Validate(e, out _);

        Assert.Equal(1800, usage!.UpstreamLatencyMs);
        Assert.Equal(240, usage.UpstreamTtftMs);
    }

    [Fact]
    public void Validate_CostAsNumericString_IsAccepted()
    {
        var e = Valid();
        e["cost_usd"] = "0.000125";

        Assert.Equal(0.000125m, Validate(e, out _)!.ReportedCostUsd);
    }

    [Fact]
    public void Validate_UnknownFields_AreIgnored()
    {
        var e = Valid();
        e["something_new"] = new JsonObject { ["nested"] = true };

        Assert.NotNull(Validate(e, out _));
    }

    [Theory]
    [InlineData("request_id")]
    [InlineData("occurred_at")]
    [InlineData("model_id")]
    [InlineData("api_key_id")]
    [InlineData("prompt_tokens")]
    [InlineData("completion_tokens")]
    [InlineData("upstream_latency_ms")]
    [InlineData("status_code")]
    [InlineData("cost_usd")]
    [InlineData("guardrail_blocked")]
    [InlineData("attempt_index")]
    public void Validate_MissingRequiredField_NamesIt(string field)
    {
        var e = Valid();
        e.Remove(field);

        Assert.Null(Validate(e, out var error));
        Assert.Equal($"missing required field '{field}'", error);
    }

    [Theory]
    [InlineData("trace_id", "123")]
    [InlineData("finish_reason", "{\"x\":1}")]
    [InlineData("provider_request_id", "[1]")]
    [InlineData("usage_estimated", "\"maybe\"")]
    public void Validate_UnusedFieldOfAnUnexpectedType_DoesNotCostTheEvent(string field, string json)
    {
        var e = Valid();
        e[field] = JsonNode.Parse(json);

        Assert.NotNull(Validate(e, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("model_id", "a\u0000b")]
    [InlineData("api_key_id", "k\u0007")]
    public void Validate_IdWithControlCharacters_IsRejected(string field, string value)
    {
        var e = Valid();
        e[field] = value;

        Assert.Null(Validate(e, out var error));
        Assert.Equal($"'{field}' must not contain control characters", error);
    }

    [Fact]
    public void Validate_IdWithEmoji_IsAccepted()
    {
        var e = Valid();
        e["model_id"] = "m-\ud83d\ude80";

        Assert.NotNull(Validate(e, out _));
    }

    [Fact]
    public void Validate_EmptyModelAndKey_AreAllowed()
    {
        var e = Valid();
        e["model_id"] = "";
        e["api_key_id"] = "";

        Assert.NotNull(Validate(e, out _));
    }

    [Theory]
    [InlineData("prompt_tokens", "\"many\"", "'prompt_tokens' must be an integer from 0 to 2147483647")]
    [InlineData("prompt_tokens", "1.5", "'prompt_tokens' must be an integer from 0 to 2147483647")]
    [InlineData("completion_tokens", "99999999999999999999", "'completion_tokens' must be an integer from 0 to 2147483647")]
    [InlineData("request_id", "42", "'request_id' must be a string")]
    [InlineData("guardrail_blocked", "\"no\"", "'guardrail_blocked' must be true or false")]
    [InlineData("cost_usd", "\"free\"", "'cost_usd' must be a non-negative number or numeric string")]
    [InlineData("occurred_at", "1764324000", "'occurred_at' must be an RFC 3339 timestamp string such as 2026-11-28T10:00:00Z")]
    [InlineData("status_code", "\"200\"", "'status_code' must be an integer from 0 to 999")]
    [InlineData("attempt_index", "[]", "'attempt_index' must be an integer from 0 to 10000")]
    [InlineData("downstream_latency_ms", "\"slow\"", "'downstream_latency_ms' must be a non-negative integer number of milliseconds")]
    public void Validate_WrongType_NamesTheFieldAndTheRule(string field, string json, string expected)
    {
        var e = Valid();
        e[field] = JsonNode.Parse(json);

        Assert.Null(Validate(e, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("prompt_tokens", -1)]
    [InlineData("completion_tokens", -5)]
    [InlineData("cached_prompt_tokens", -1)]
    [InlineData("cache_creation_tokens", -1)]
    [InlineData("prompt_tokens", 3_000_000_000)]
    [InlineData("cache_read_tokens", 3_000_000_000)]
    public void Validate_TokenCountOutOfRange_IsRejected(string field, long value)
    {
        var e = Valid();
        e["prompt_tokens"] = 100;
        e[field] = value;

        Assert.Null(Validate(e, out var error));
        Assert.Contains($"'{field}' must be an integer from 0 to 2147483647", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RequestIdOf256Chars_IsAccepted()
    {
        var e = Valid();
        e["request_id"] = new string('a', 256);

        Assert.NotNull(Validate(e, out _));
    }

    [Theory]
    [InlineData(257, "a")]
    [InlineData(0, "")]
    public void Validate_RequestIdOfBadLength_IsRejected(int length, string unit)
    {
        var e = Valid();
        e["request_id"] = string.Concat(Enumerable.Repeat(unit, length));

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'request_id' must be 1-256 visible ASCII characters (0x21-0x7E), without spaces", error);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("caf\u00e9")]
    [InlineData("line\nbreak")]
    public void Validate_RequestIdWithInvisibleOrNonAsciiCharacters_IsRejected(string requestId)
    {
        var e = Valid();
        e["request_id"] = requestId;

        Assert.Null(Validate(e, out var error));
        Assert.StartsWith("'request_id' must be 1-256 visible ASCII characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OccurredAtMoreThanFiveMinutesAhead_IsRejected()
    {
        var e = Valid();
        e["occurred_at"] = "2026-11-28T10:05:01Z";

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'occurred_at' 2026-11-28T10:05:01Z is more than 5 minutes in the future", error);
    }

    [Fact]
    public void Validate_OccurredAtWithinFiveMinutesAheadOrWeeksAgo_IsAccepted()
    {
        var ahead = Valid();
        ahead["occurred_at"] = "2026-11-28T10:04:59Z";
        var late = Valid();
        late["occurred_at"] = "2026-10-25T00:00:00+02:00";

        Assert.NotNull(Validate(ahead, out _));
        Assert.Equal(DateTimeOffset.Parse("2026-10-24T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Validate(late, out _)!.OccurredAt);
    }

    [Theory]
    [InlineData("2026-10-24T10:00:00Z")]
    [InlineData("2026-10-24T19:00:00+09:00")]
    public void Validate_OccurredAtExactlyMaxEventAgeAgo_IsAccepted(string occurredAt)
    {
        var e = Valid();
        e["occurred_at"] = occurredAt;

        Assert.NotNull(Validate(e, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("2026-10-24T09:59:59.9999999Z")]
    [InlineData("2026-10-24T09:59:59Z")]
    [InlineData("2026-10-24T18:59:59+09:00")]
    public void Validate_OccurredAtJustOverMaxEventAgeAgo_IsRejectedNamingTheLimit(string occurredAt)
    {
        var e = Valid();
        e["occurred_at"] = occurredAt;

        Assert.Null(Validate(e, out var error));
        Assert.Equal($"'occurred_at' {occurredAt} is more than 35 days old (DataPlane:MaxEventAge)", error);
    }

    [Fact]
    public void Validate_GoZeroTime_IsRejectedNamingTheLimit()
    {
        var e = Valid();
        e["occurred_at"] = "0001-01-01T00:00:00Z";

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'occurred_at' 0001-01-01T00:00:00Z is more than 35 days old (DataPlane:MaxEventAge)", error);
    }

    [Fact]
    public void Validate_LargerConfiguredMaxEventAge_AcceptsOlderEventsAndNamesThatLimit()
    {
        var withinAYear = Valid();
        withinAYear["occurred_at"] = "2025-12-01T00:00:00Z";
        var older = Valid();
        older["occurred_at"] = "2025-11-01T00:00:00Z";

        Assert.NotNull(Validate(withinAYear, TimeSpan.FromDays(365), out _));
        Assert.Null(Validate(older, TimeSpan.FromDays(365), out var error));
        Assert.Equal("'occurred_at' 2025-11-01T00:00:00Z is more than 365 days old (DataPlane:MaxEventAge)", error);
    }

    [Theory]
    [InlineData("1.00:00:00", "1 day")]
    [InlineData("1.12:00:00", "36 hours")]
    [InlineData("01:30:00", "90 minutes")]
    public void Validate_MaxEventAgeNotWholeDays_IsNamedInItsUnit(string maxEventAge, string described)
    {
        var age = TimeSpan.Parse(maxEventAge, System.Globalization.CultureInfo.InvariantCulture);
        var e = Valid();
        e["occurred_at"] = "2026-11-20T00:00:00Z";

        Assert.Null(Validate(e, age, out var error));
        Assert.Equal($"'occurred_at' 2026-11-20T00:00:00Z is more than {described} old (DataPlane:MaxEventAge)", error);
    }

    [Theory]
    [InlineData("2026-11-28")]
    [InlineData("2026-11-28T10:00:00")]
    [InlineData("28/11/2026 10:00")]
    [InlineData("yesterday")]
    public void Validate_OccurredAtNotRfc3339_IsRejected(string text)
    {
        var e = Valid();
        e["occurred_at"] = text;

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'occurred_at' must be an RFC 3339 timestamp string such as 2026-11-28T10:00:00Z", error);
    }

    [Fact]
    public void Validate_CachedPromptTokensAbovePromptTokens_IsRejected()
    {
        var e = Valid();
        e["cached_prompt_tokens"] = 101;

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'cached_prompt_tokens' must not exceed 'prompt_tokens'", error);
    }

    [Fact]
    public void Validate_NegativeCost_IsRejected()
    {
        var e = Valid();
        e["cost_usd"] = -0.01;

        Assert.Null(Validate(e, out var error));
        Assert.Equal("'cost_usd' must be from 0 to 1000000", error);
    }

    [Fact]
    public void Validate_SeveralProblems_AreAllListed()
    {
        var e = Valid();
        e.Remove("api_key_id");
        e["prompt_tokens"] = -1;

        Assert.Null(Validate(e, out var error));
        Assert.Equal("missing required field 'api_key_id'; 'prompt_tokens' must be an integer from 0 to 2147483647", error);
    }

    [Theory]
    [InlineData("[]", "event must be a JSON object, not an array")]
    [InlineData("\"text\"", "event must be a JSON object, not a string")]
    [InlineData("null", "event must be a JSON object, not null")]
    public void Validate_NotAnObject_IsRejected(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(UsageEventValidator.Validate(document.RootElement, Now, TimeSpan.FromMinutes(5), TimeSpan.FromDays(35), out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("api_key_id", null, "missing_field")]
    [InlineData("prompt_tokens", "\"many\"", "invalid_field")]
    [InlineData("prompt_tokens", "-1", "invalid_field")]
    [InlineData("request_id", "\"has space\"", "invalid_field")]
    [InlineData("model_id", "\"a\\u0000b\"", "invalid_field")]
    [InlineData("occurred_at", "\"yesterday\"", "invalid_field")]
    [InlineData("occurred_at", "\"2026-11-28T10:05:01Z\"", "future_occurred_at")]
    [InlineData("occurred_at", "\"2026-10-24T09:59:59Z\"", "too_old")]
    [InlineData("occurred_at", "\"0001-01-01T00:00:00Z\"", "too_old")]
    public void Validate_EachKindOfProblem_HasItsReasonCode(string field, string? json, string expected)
    {
        var e = Valid();
        if (json is null)
        {
            e.Remove(field);
        }
        else
        {
            e[field] = JsonNode.Parse(json);
        }

        Assert.Null(ValidateWithReason(e, out var error, out var reason));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Equal(expected, reason);
        Assert.Contains(reason, BudgetCluster.Grains.Abstractions.Gateways.RejectionReasons.All);
    }

    [Fact]
    public void Validate_SeveralProblems_TakeTheReasonOfTheFirst()
    {
        var e = Valid();
        e["occurred_at"] = "2026-11-28T11:00:00Z";
        e.Remove("status_code");

        Assert.Null(ValidateWithReason(e, out var error, out var reason));
        Assert.Equal("missing required field 'status_code'; 'occurred_at' 2026-11-28T11:00:00Z is more than 5 minutes in the future", error);
        Assert.Equal("missing_field", reason);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    public void Validate_NotAnObject_HasReasonNotAnObject(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(UsageEventValidator.Validate(
            document.RootElement, Now, TimeSpan.FromMinutes(5), TimeSpan.FromDays(35), out _, out var reason));
        Assert.Equal("not_an_object", reason);
    }

    [Fact]
    public void Validate_ValidEvent_HasNoReason()
    {
        Assert.NotNull(ValidateWithReason(Valid(), out var error, out var reason));
        Assert.Null(error);
        Assert.Null(reason);
    }

    [Fact]
    public void Validate_CacheStatusHit_MarksACacheHit()
    {
        var e = Valid();
        e["cache_status"] = "hit";
        e["cache_hit_saved_input_tokens"] = 120;

        var usage = Validate(e, out _);

        Assert.True(usage!.CacheHit);
        Assert.Equal(120, usage.CacheHitSavedInputTokens);
    }

    private static JsonObject Valid() => new()
    {
        ["request_id"] = "req-1",
        ["occurred_at"] = "2026-11-28T09:59:00Z",
        ["model_id"] = "m-gpt-4o",
        ["api_key_id"] = "k-1",
        ["prompt_tokens"] = 100,
        ["completion_tokens"] = 20,
        ["upstream_latency_ms"] = 1800,
        ["status_code"] = 200,
        ["cost_usd"] = 0.0,
        ["guardrail_blocked"] = false,
        ["attempt_index"] = 0,
    };

    private static BudgetCluster.Grains.Abstractions.Gateways.UsageEvent? Validate(JsonObject e, out string? error) =>
        Validate(e, TimeSpan.FromDays(35), out error);

    private static BudgetCluster.Grains.Abstractions.Gateways.UsageEvent? ValidateWithReason(JsonObject e, out string? error, out string? reason)
    {
        using var document = JsonDocument.Parse(e.ToJsonString());
        return UsageEventValidator.Validate(document.RootElement, Now, TimeSpan.FromMinutes(5), TimeSpan.FromDays(35), out error, out reason);
    }

    private static BudgetCluster.Grains.Abstractions.Gateways.UsageEvent? Validate(JsonObject e, TimeSpan maxEventAge, out string? error)
    {
        using var document = JsonDocument.Parse(e.ToJsonString());
        return UsageEventValidator.Validate(document.RootElement, Now, TimeSpan.FromMinutes(5), maxEventAge, out error);
    }
}
