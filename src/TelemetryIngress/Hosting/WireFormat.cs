using System.Globalization;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>How money and instants are written on the wire (API.md: decimal strings, RFC 3339 UTC).</summary>
public static class WireFormat
{
    /// <summary>
    /// USD as an exact decimal string with at least two decimals and no trailing zeros beyond them:
    /// 10 → "10.00", 0.0047075 → "0.0047075", 1.500 → "1.50".
    /// </summary>
    public static string Usd(decimal amount) =>
        amount.ToString("0.00##########################", CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 in UTC with a trailing Z and fractional seconds only when present.</summary>
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static string? Instant(DateTimeOffset? instant) => instant is { } value ? Instant(value) : null;

    /// <summary>RFC 3339 date-time: a full date, 'T', a time and an explicit offset or 'Z'; read as UTC.</summary>
    public static bool TryParseInstant(string text, out DateTimeOffset value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = default;
        if (text.Length < 20 || (text[10] != 'T' && text[10] != 't'))
        {
            return false;
        }

        var last = text[^1];
        var hasOffset = last is 'Z' or 'z' || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasOffset && DateTimeOffset.TryParse(
            text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out value);
    }
}
