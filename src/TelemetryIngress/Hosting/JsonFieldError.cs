using System.Text.Json;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>Turns a System.Text.Json failure into a message that names the offending field.</summary>
public static class JsonFieldError
{
    /// <summary>The field a <see cref="JsonException"/> points at (<c>pricing.input_per_mtok</c>), or null for the document itself.</summary>
    public static string? FieldOf(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = exception.Path;
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>
    /// "'field' must be …" from <paramref name="rules"/> (field → rule text), or a generic
    /// wrong-type message naming the field.
    /// </summary>
    public static string Describe(JsonException exception, IReadOnlyDictionary<string, string> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var field = FieldOf(exception);
        if (field is null)
        {
            return "malformed JSON: " + FirstSentence(exception.Message);
        }

        return rules.TryGetValue(field, out var rule)
            ? $"'{field}' {rule}"
            : $"'{field}' has the wrong type or is malformed JSON";
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).Trim();
    }
}
