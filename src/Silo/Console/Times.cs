using System.Globalization;

namespace BudgetCluster.Silo.Console;

/// <summary>The API's RFC 3339 instants shown in a zone, with the zone's name.</summary>
public static class Times
{
    public static string Format(string instant, string zone)
    {
        if (!DateTimeOffset.TryParse(instant, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var info))
        {
            return instant;
        }

        var local = TimeZoneInfo.ConvertTime(at, info);
        return string.Create(CultureInfo.InvariantCulture, $"{local:yyyy-MM-dd HH:mm} {zone}");
    }
}
