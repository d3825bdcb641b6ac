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
}
