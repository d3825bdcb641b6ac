using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// The time buckets of a usage view in a time zone (API.md §6), all made of whole UTC minutes:
/// <list type="bullet">
/// <item>Days, weeks (from Monday) and months are <see cref="PeriodCalendar"/>'s periods, so a
/// budget's period and a bucket of the same zone always agree; a DST day lasts 23 or 25 hours.</item>
/// <item>Hours are local clock hours: the instants that show the same local hour at the same UTC
/// offset. So in Asia/Kathmandu (+05:45) they start at :15 UTC, and an hour that a fall-back change
/// repeats is two buckets, one at each offset (each 60 minutes where the change is a whole hour); an
/// hour a spring-forward change skips does not exist. Where an offset changes by less than an
/// hour (Lord Howe's 30 minutes), the bucket holding the change is cut there and is shorter.</item>
/// <item>Minutes are UTC minutes: every IANA offset since <see cref="Earliest"/> is a whole number of
/// minutes, so a local clock minute is a UTC minute.</item>
/// </list>
/// </summary>
public static class BucketCalendar
{
    /// <summary>
    /// The first instant a usage view covers. Before 1972 some zones had offsets with seconds
    /// (Africa/Monrovia's −00:44:30), whose local minutes are not UTC minutes; the ledger holds
    /// only recent events anyway (<c>DataPlane:MaxEventAge</c>).
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1972, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The last instant a usage view covers, a year inside <see cref="PeriodCalendar.LatestInstant"/>.</summary>
    public static readonly DateTimeOffset Latest = new(9998, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The bucket of <paramref name="width"/> in <paramref name="zone"/> that contains <paramref name="instant"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="instant"/> is before <see cref="Earliest"/> or after <see cref="Latest"/>.</exception>
    public static PeriodWindow Containing(DateTimeOffset instant, BucketWidth width, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (instant < Earliest || instant > Latest)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), instant, "usage buckets are defined from 1972-01-01 to 9998-01-01 UTC");
        }

        return width switch
        {
            BucketWidth.Minute => MinuteContaining(instant),
            BucketWidth.Hour => HourContaining(instant, zone),
            BucketWidth.Day => PeriodCalendar.Containing(instant, BudgetPeriod.Day, zone),
            BucketWidth.Week => PeriodCalendar.Containing(instant, BudgetPeriod.Week, zone),
            BucketWidth.Month => PeriodCalendar.Containing(instant, BudgetPeriod.Month, zone),
            _ => throw new ArgumentOutOfRangeException(nameof(width), width, "unknown bucket width"),
        };
    }

    /// <summary>True when a bucket of <paramref name="width"/> in <paramref name="zone"/> starts at <paramref name="instant"/>.</summary>
    public static bool IsBoundary(DateTimeOffset instant, BucketWidth width, TimeZoneInfo zone) =>
        Containing(instant, width, zone).Start == instant;

    /// <summary>
    /// The boundaries from <paramref name="start"/> to <paramref name="end"/> (both boundaries,
    /// <paramref name="start"/> before <paramref name="end"/>): bucket <c>i</c> is
    /// <c>[result[i], result[i+1])</c>. Null when there would be more than <paramref name="maxBuckets"/>
    /// buckets; computing stops there.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset>? Boundaries(
        DateTimeOffset start, DateTimeOffset end, BucketWidth width, TimeZoneInfo zone, int maxBuckets)
    {
        var boundaries = new List<DateTimeOffset> { start };
        for (var at = start; at < end;)
        {
            if (boundaries.Count > maxBuckets)
            {
                return null;
            }

            at = Containing(at, width, zone).End;
            boundaries.Add(at);
        }

        return boundaries;
    }

    private static PeriodWindow MinuteContaining(DateTimeOffset instant)
    {
        var start = new DateTimeOffset(instant.UtcTicks - (instant.UtcTicks % Minute.Ticks), TimeSpan.Zero);
        return new PeriodWindow(start, start + Minute);
    }

    /// <summary>
    /// The local hour at the instant's offset, cut where the offset changes. No zone changes its
    /// offset twice within an hour, so the hour holds at most one change before the instant and one after.
    /// </summary>
    private static PeriodWindow HourContaining(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var minute = MinuteContaining(instant).Start;
        var offset = zone.GetUtcOffset(minute);
        var local = minute.UtcTicks + offset.Ticks;
        var start = new DateTimeOffset(local - (local % TimeSpan.TicksPerHour) - offset.Ticks, TimeSpan.Zero);
        var end = start.AddHours(1);
        if (zone.GetUtcOffset(start) != offset)
        {
            start = FirstMinute(start, minute, at => zone.GetUtcOffset(at) == offset);
        }

        if (zone.GetUtcOffset(end - Minute) != offset)
        {
            end = FirstMinute(minute, end - Minute, at => zone.GetUtcOffset(at) != offset);
        }

        return new PeriodWindow(start, end);
    }

    /// <summary>The first whole minute in (<paramref name="low"/>, <paramref name="high"/>] where <paramref name="holds"/>, which holds at <paramref name="high"/> and from there on.</summary>
    private static DateTimeOffset FirstMinute(DateTimeOffset low, DateTimeOffset high, Func<DateTimeOffset, bool> holds)
    {
        while (high - low > Minute)
        {
            var middle = low.AddMinutes((int)((high - low).TotalMinutes / 2));
            if (holds(middle))
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return high;
    }
}
