using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace BudgetCluster.Grains.Billing;

/// <summary>
/// A statement's body as served (API.md §8): compact JSON, fields in the contract's order, lines and
/// adjustments sorted, money as exact decimal strings, instants RFC 3339 UTC. A closed statement's
/// <c>content_sha256</c> is the SHA-256 (lowercase hex) of that same body with <c>content_sha256</c>
/// written as <c>null</c>, its last field, so a client can check it by putting the null back.
/// The bytes of a closed statement are written once and stored: what this class writes may change
/// in a later version without changing a statement already closed.
/// </summary>
public static class StatementJson
{
    /// <summary>The body of an open statement, or of a closed one with its hash; and that hash (null when open).</summary>
    public static (byte[] Body, string? ContentSha256) Write(Statement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var unhashed = Write(statement, contentSha256: null);
        if (statement.ClosedAt is null)
        {
            return (unhashed, null);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(unhashed));
        return (Write(statement, hash), hash);
    }

    private static byte[] Write(Statement statement, string? contentSha256)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("org_id", statement.OrgId);
            json.WriteString("period", statement.Period.ToString());
            json.WriteString("time_zone", statement.TimeZone);
            json.WriteString("starting_at", Instant(statement.Window.Start));
            json.WriteString("ending_at", Instant(statement.Window.End));
            json.WriteString("status", statement.ClosedAt is null ? "open" : "closed");
            OptionalString(json, "closed_at", statement.ClosedAt is { } closed ? Instant(closed) : null);
            json.WriteStartArray("lines");
            foreach (var line in statement.Lines)
            {
                json.WriteStartObject();
                json.WriteString("environment_id", line.EnvironmentId);
                OptionalString(json, "model_id", line.ModelId);
                OptionalString(json, "provider_key_id", line.ProviderKeyId);
                json.WriteNumber("requests", line.Requests);
                json.WriteNumber("attempts", line.Attempts);
                json.WriteNumber("prompt_tokens", line.PromptTokens);
                json.WriteNumber("completion_tokens", line.CompletionTokens);
                json.WriteNumber("cached_prompt_tokens", line.CachedPromptTokens);
                json.WriteNumber("cache_creation_tokens", line.CacheCreationTokens);
                json.WriteNumber("cache_read_tokens", line.CacheReadTokens);
                json.WriteString("spend_usd", Usd(line.SpendUsd));
                json.WriteString("cache_savings_usd", Usd(line.CacheSavingsUsd));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("adjustments");
            foreach (var adjustment in statement.Adjustments)
            {
                json.WriteStartObject();
                json.WriteString("period", adjustment.Period.ToString());
                json.WriteString("environment_id", adjustment.EnvironmentId);
                OptionalString(json, "model_id", adjustment.ModelId);
                json.WriteNumber("attempts", adjustment.Attempts);
                json.WriteString("spend_usd", Usd(adjustment.SpendUsd));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("total_usd", Usd(statement.TotalUsd));
            OptionalString(json, "content_sha256", contentSha256);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>An empty id is an absent one: null.</summary>
    private static void OptionalString(Utf8JsonWriter json, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>As the admin API writes money: at least two decimals, every significant digit kept.</summary>
    private static string Usd(decimal amount) => amount.ToString("0.00##########################", CultureInfo.InvariantCulture);

    private static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
