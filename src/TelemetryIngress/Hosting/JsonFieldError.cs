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
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(rules);
        // System.Text.Json words a type mismatch this way; anything else is a syntax error.
        var mismatch = exception.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);
        if (!mismatch)
        {
            return $"malformed JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}: {FirstSentence(exception.Message)}";
        }

        var field = FieldOf(exception);
        if (field is null)
        {
            return "expected a JSON object";
        }

        // An element of an array follows its array's rule, stated for the element ("thresholds[]").
        var element = System.Text.RegularExpressions.Regex.Replace(field, @"\[\d+\]", "[]");
        return rules.TryGetValue(field, out var rule) || rules.TryGetValue(element, out rule)
            ? $"'{field}' {rule}"
            : $"'{field}' has the wrong type";
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).Trim();
    }
}
