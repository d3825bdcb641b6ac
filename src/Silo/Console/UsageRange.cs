using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.Primitives;

namespace BudgetCluster.Silo.Console;

/// <summary>
/// The console's usage ranges as usage-view parameters: <c>24h</c> (hours), <c>7d</c> and <c>31d</c>
/// (days), <c>month</c> (this month's days so far), each ending with the bucket that holds now and
/// starting on a bucket boundary of the zone; or <c>custom</c>: whole local days from one date to
/// another, both included.
/// </summary>
public static class UsageRange
{
    public static IReadOnlyList<string> Names { get; } = ["24h", "7d", "31d", "month", "custom"];

    /// <summary>The days from <paramref name="from"/> to <paramref name="to"/> (both included, local midnights of the zone), or null when either is missing.</summary>
    public static Dictionary<string, StringValues>? Custom(DateOnly? from, DateOnly? to, TimeZoneInfo zone, string groupBy)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (from is not { } first || to is not { } last)
        {
            return null;
        }

        var parameters = Parameters("custom", Midnight(first, zone), zone, groupBy);
        parameters["starting_at"] = WireFormat.Instant(Midnight(first, zone));
        // Refused by the usage view, with its own message, when it is not after the start.
        parameters["ending_at"] = WireFormat.Instant(Midnight(last.AddDays(1), zone));
        return parameters;
    }

    private static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone) =>
        BucketCalendar.Containing(new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), zone.GetUtcOffset(day.ToDateTime(new TimeOnly(12, 0)))), BucketWidth.Day, zone).Start;

    /// <summary>The usage view's query for <paramref name="range"/> (24h when unknown) in <paramref name="zone"/>, grouped by <paramref name="groupBy"/>.</summary>
    public static Dictionary<string, StringValues> Parameters(string? range, DateTimeOffset now, TimeZoneInfo zone, string groupBy)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var (width, start) = range switch
        {
            "7d" => (BucketWidth.Day, BucketCalendar.Containing(now.AddDays(-6), BucketWidth.Day, zone).Start),
            "31d" => (BucketWidth.Day, BucketCalendar.Containing(now.AddDays(-30), BucketWidth.Day, zone).Start),
            "month" => (BucketWidth.Day, BucketCalendar.Containing(now, BucketWidth.Month, zone).Start),
            "custom" => (BucketWidth.Day, BucketCalendar.Containing(now, BucketWidth.Day, zone).Start),
            _ => (BucketWidth.Hour, BucketCalendar.Containing(now.AddHours(-23), BucketWidth.Hour, zone).Start),
        };
        return new Dictionary<string, StringValues>(StringComparer.Ordinal)
        {
            ["starting_at"] = WireFormat.Instant(start),
            ["bucket_width"] = BucketWidths.Name(width),
            ["time_zone"] = zone.Id,
            ["group_by"] = groupBy,
            ["limit"] = "10000",
        };
    }
}
