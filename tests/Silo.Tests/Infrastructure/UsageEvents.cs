using System.Globalization;
using System.Text.Json.Nodes;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>Usage events as a gateway sends them, with every required field; tests change what they exercise.</summary>
public static class UsageEvents
{
    public static JsonObject Event(
        string requestId,
        DateTimeOffset? occurredAt = null,
        string modelId = "",
        string apiKeyId = "k-1",
        long promptTokens = 100,
        long completionTokens = 20,
        string cost = "0",
        int attemptIndex = 0) => new()
    {
        ["request_id"] = requestId,
        ["occurred_at"] = Timestamp(occurredAt ?? TestClock.Now),
        ["model_id"] = modelId,
        ["api_key_id"] = apiKeyId,
        ["prompt_tokens"] = promptTokens,
        ["completion_tokens"] = completionTokens,
        ["upstream_latency_ms"] = 100,
        ["status_code"] = 200,
        ["cost_usd"] = cost,
        ["guardrail_blocked"] = false,
        ["attempt_index"] = attemptIndex,
    };

    /// <summary>An instant as a gateway writes it (whole seconds, UTC).</summary>
    public static string Timestamp(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A telemetry body of the given events.</summary>
    public static string Body(IEnumerable<JsonObject> events) =>
        new JsonObject { ["events"] = new JsonArray([.. events]) }.ToJsonString();
}
