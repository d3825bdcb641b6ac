using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// Calendar periods in a time zone. A period starts at the local start of its first day: local
/// midnight, or, where a daylight-saving change skips midnight, the first local instant after the
/// gap; where midnight happens twice, the first one. So periods are contiguous, never overlap, and
/// a day may last 23 or 25 hours.
/// </summary>
public static class PeriodCalendar
{
    /// <summary>The period of <paramref name="period"/> kind that contains <paramref name="instant"/>.</summary>
    public static PeriodWindow Containing(DateTimeOffset instant, BudgetPeriod period, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        var first = period switch
        {
            BudgetPeriod.Day => date,
            BudgetPeriod.Week => date.AddDays(-(((int)date.DayOfWeek + 6) % 7)),
            BudgetPeriod.Month => new DateOnly(date.Year, date.Month, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, "unknown budget period"),
        };
        var next = period switch
        {
            BudgetPeriod.Day => first.AddDays(1),
            BudgetPeriod.Week => first.AddDays(7),
            _ => first.AddMonths(1),
        };
        return new PeriodWindow(StartOfDay(first, zone), StartOfDay(next, zone));
    }

    /// <summary>The first instant of a local calendar day.</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(local))
        {
            // Midnight happens twice: the day starts at the first, which has the larger offset.
            return new DateTimeOffset(local, zone.GetAmbiguousTimeOffsets(local).Max());
        }

        // Midnight skipped by a daylight-saving gap: the day starts where the gap ends. Gaps are whole
        // minutes and at most a few hours long.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
