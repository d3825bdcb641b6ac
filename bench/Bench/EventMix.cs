using BudgetCluster.TestSupport;
using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace BudgetCluster.Bench;

/// <summary>
/// Telemetry batches shaped like the AISIX fixtures (tests/fixtures/aisix): plain OpenAI chats,
/// Anthropic fallbacks (a 503 attempt then a successful one with cache writes and guardrails),
/// semantic-cache hits and rate-limited attempts, over random keys, models and token counts.
/// Every event has a request id of its own, so every event is new to the ledger.
/// </summary>
internal sealed class EventMix(string keyPrefix, int keys, int seed)
{
    private readonly Random _random = new(seed);
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private long _requests;

    /// <summary>A body of exactly <paramref name="events"/> events.</summary>
    public byte[] Batch(int events)
    {
        var buffer = new ArrayBufferWriter<byte>(events * 900);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            var now = TestClock.Now;
            for (var written = 0; written < events;)
            {
                var roll = _random.Next(100);
                var key = Key(_random.Next(keys));
                if (roll < 15 && events - written >= 2)
                {
                    Fallback(json, key, now);
                    written += 2;
                }
                else
                {
                    if (roll < 25)
                    {
                        CacheHit(json, key, now);
                    }
                    else if (roll < 30)
                    {
                        RateLimited(json, key, now);
                    }
                    else
                    {
                        Chat(json, key, now);
                    }

                    written++;
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One event for the key with a cost the gateway set (used as is by the cluster).</summary>
    public byte[] Priced(string apiKeyId, decimal costUsd) => PricedEach([apiKeyId], costUsd);

    /// <summary>One event per key, each with a cost the gateway set.</summary>
    public byte[] PricedEach(IEnumerable<string> apiKeyIds, decimal costUsd)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            var now = TestClock.Now;
            foreach (var apiKeyId in apiKeyIds)
            {
                Start(json, now, "m-gpt-4o", apiKeyId, 0);
                json.WriteNumber("prompt_tokens", 1000);
                json.WriteNumber("completion_tokens", 100);
                json.WriteNumber("upstream_latency_ms", 900);
                json.WriteNumber("status_code", 200);
                json.WriteNumber("cost_usd", costUsd);
                json.WriteBoolean("guardrail_blocked", false);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public string Key(int index) => string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}-{index:D5}");

    private void Chat(Utf8JsonWriter json, string key, DateTimeOffset now)
    {
        var prompt = _random.Next(50, 4000);
        Start(json, now, "m-gpt-4o", key, 0);
        json.WriteString("trace_id", Guid.NewGuid().ToString("N"));
        json.WriteString("requested_model", "gpt-4o");
        json.WriteNumber("prompt_tokens", prompt);
        json.WriteNumber("completion_tokens", _random.Next(1, 900));
        json.WriteNumber("cached_prompt_tokens", _random.Next(3) == 0 ? prompt / 2 : 0);
        json.WriteNumber("upstream_latency_ms", _random.Next(200, 6000));
        json.WriteNumber("downstream_latency_ms", _random.Next(200, 6100));
        json.WriteNumber("status_code", 200);
        json.WriteString("provider_request_id", "chatcmpl-" + _random.Next().ToString("x8", CultureInfo.InvariantCulture));
        json.WriteString("provider_model_version", "gpt-4o-2024-08-06");
        json.WriteString("finish_reason", "stop");
        json.WriteNumber("cost_usd", 0.0);
        json.WriteBoolean("guardrail_blocked", false);
        json.WriteString("cache_status", "miss");
        json.WriteString("inbound_protocol", "openai");
        json.WriteString("attempt_kind", "initial");
        json.WriteString("provider_kind", "catalog");
        json.WriteString("branded_provider", "openai");
        json.WriteString("pk_label", "production");
        json.WriteString("client_source_ip", "203.0.113.7");
        json.WriteString("client_user_agent", "OpenAI/Python 1.54.0");
        json.WriteEndObject();
    }

    private void Fallback(Utf8JsonWriter json, string key, DateTimeOffset now)
    {
        var request = NextRequestId();
        Start(json, now, "m-claude-primary", key, 0, request);
        json.WriteString("requested_model", "smart");
        json.WriteNumber("prompt_tokens", 0);
        json.WriteNumber("completion_tokens", 0);
        json.WriteNumber("upstream_latency_ms", _random.Next(100, 800));
        json.WriteNumber("status_code", 503);
        json.WriteNumber("cost_usd", 0.0);
        json.WriteBoolean("guardrail_blocked", false);
        json.WriteString("inbound_protocol", "anthropic");
        json.WriteString("attempt_kind", "initial");
        json.WriteString("error_class", "upstream_status");
        json.WriteString("error_message", "upstream returned 503");
        json.WriteString("branded_provider", "anthropic");
        json.WriteEndObject();

        Start(json, now, "m-claude-secondary", key, 1, request);
        json.WriteString("requested_model", "smart");
        json.WriteNumber("prompt_tokens", _random.Next(100, 6000));
        json.WriteNumber("completion_tokens", _random.Next(1, 1500));
        json.WriteNumber("cache_creation_tokens", _random.Next(0, 2048));
        json.WriteNumber("upstream_latency_ms", _random.Next(1000, 9000));
        json.WriteNumber("upstream_ttft_ms", _random.Next(200, 1500));
        json.WriteNumber("downstream_latency_ms", _random.Next(1000, 9000));
        json.WriteNumber("status_code", 200);
        json.WriteString("provider_request_id", "msg_" + _random.Next().ToString("x8", CultureInfo.InvariantCulture));
        json.WriteString("finish_reason", "stop");
        json.WriteNumber("cost_usd", 0.0);
        json.WriteBoolean("guardrail_blocked", false);
        json.WriteStartArray("applied_guardrails");
        json.WriteStartObject();
        json.WriteString("kind", "pii");
        json.WriteString("hook", "input");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("redacted_entity_counts");
        json.WriteNumber("email", 2);
        json.WriteEndObject();
        json.WriteString("cache_status", "disabled");
        json.WriteString("inbound_protocol", "anthropic");
        json.WriteString("attempt_kind", "fallback");
        json.WriteString("attempt_model", "claude-sonnet-secondary");
        json.WriteString("provider_kind", "byo");
        json.WriteString("byo_label", "team-a-account");
        json.WriteEndObject();
    }

    private void CacheHit(Utf8JsonWriter json, string key, DateTimeOffset now)
    {
        var prompt = _random.Next(20, 2000);
        var completion = _random.Next(1, 500);
        Start(json, now, "m-gpt-4o", key, 0);
        json.WriteNumber("prompt_tokens", prompt);
        json.WriteNumber("completion_tokens", completion);
        json.WriteNumber("upstream_latency_ms", 2);
        json.WriteNumber("status_code", 200);
        json.WriteNumber("cost_usd", 0.0);
        json.WriteBoolean("guardrail_blocked", false);
        json.WriteString("cache_status", "hit");
        json.WriteNumber("cache_hit_saved_input_tokens", prompt);
        json.WriteNumber("cache_hit_saved_output_tokens", completion);
        json.WriteString("cache_hit_layer", "exact");
        json.WriteString("inbound_protocol", "openai");
        json.WriteEndObject();
    }

    private void RateLimited(Utf8JsonWriter json, string key, DateTimeOffset now)
    {
        Start(json, now, "m-claude-primary", key, 0);
        json.WriteNumber("prompt_tokens", 0);
        json.WriteNumber("completion_tokens", 0);
        json.WriteNumber("upstream_latency_ms", _random.Next(20, 300));
        json.WriteNumber("status_code", 429);
        json.WriteNumber("cost_usd", 0.0);
        json.WriteBoolean("guardrail_blocked", false);
        json.WriteString("error_class", "upstream_status");
        json.WriteString("error_message", "upstream returned 429");
        json.WriteEndObject();
    }

    private void Start(Utf8JsonWriter json, DateTimeOffset now, string model, string key, int attempt, string? requestId = null)
    {
        json.WriteStartObject();
        json.WriteString("request_id", requestId ?? NextRequestId());
        json.WriteString("occurred_at", now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("model_id", model);
        json.WriteString("api_key_id", key);
        json.WriteNumber("attempt_index", attempt);
    }

    private string NextRequestId() =>
        string.Create(CultureInfo.InvariantCulture, $"{_run}-{Interlocked.Increment(ref _requests):D10}");
}
