using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// Calendar periods in a time zone. A period starts at the local start of its first day: local
/// midnight, or, where a daylight-saving change skips midnight, the first local instant after the
/// gap; where midnight happens twice, the first one. So periods are contiguous, never overlap, and
/// a day may last 23 or 25 hours.
/// </summary>
/// <remarks>
/// Total over <see cref="EarliestInstant"/> to <see cref="LatestInstant"/> in every zone: a year of
/// margin on each side keeps the local dates of a period and of its neighbours, at any offset up to
/// ±14 hours, inside what <see cref="DateTimeOffset"/> can hold. The data plane accepts only times
/// within decades of now (<c>DataPlane:MaxEventAge</c>), far inside that range.
/// </remarks>
public static class PeriodCalendar
{
    /// <summary>The first instant <see cref="Containing"/> takes: 0002-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset EarliestInstant = new(2, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The last instant <see cref="Containing"/> takes: the last tick of 9998-12-31 UTC.</summary>
    public static readonly DateTimeOffset LatestInstant = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1);

    private static readonly DateOnly FirstDate = new(1, 1, 2);
    private static readonly DateOnly LastDate = new(9999, 12, 30);

    /// <summary>The period of <paramref name="period"/> kind that contains <paramref name="instant"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="instant"/> is before <see cref="EarliestInstant"/> or after <see cref="LatestInstant"/>.
    /// </exception>
    public static PeriodWindow Containing(DateTimeOffset instant, BudgetPeriod period, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (instant < EarliestInstant || instant > LatestInstant)
        {
            throw new ArgumentOutOfRangeException(
                nameof(instant), instant, "budget periods are defined for instants from 0002-01-01 to 9998-12-31 UTC");
        }

        var date = LocalDate(instant, zone);
        var first = FirstDay(date, period);
        var window = Window(first, period, zone);

        // Where a zone turned its clock back by most of a day (Kwajalein in 1969, Alaska in 1867) a
        // local date happens twice, and the period of the instant's date can lie on either side of
        // it. Period starts still only grow, so the neighbours hold it.
        while (instant < window.Start)
        {
            first = FirstDay(first.AddDays(-1), period);
            window = Window(first, period, zone);
        }

        while (instant >= window.End)
        {
            first = Next(first, period);
            window = Window(first, period, zone);
        }

        return window;
    }

    /// <summary>The first instant of a local calendar day.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="date"/> is the first or one of the last two days of the calendar, whose start may not be a <see cref="DateTimeOffset"/>.
    /// </exception>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (date < FirstDate || date > LastDate)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, "the start of a day is defined from 0001-01-02 to 9999-12-30");
        }

        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(local))
        {
            // Midnight happens twice: the day starts at the first, which has the larger offset.
            return new DateTimeOffset(local, zone.GetAmbiguousTimeOffsets(local).Max());
        }

        // Midnight skipped by a gap: the day starts where the gap ends. Gaps are whole minutes, a few
        // hours long, or a whole day where a zone crossed the date line (Samoa on 2011-12-30).
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var start = new DateTimeOffset(local, zone.GetUtcOffset(local));
        return LocalDate(start, zone) >= date ? start : FirstInstantOf(date, start, zone);
    }

    /// <summary>
    /// Where a zone's base offset grows at midnight (Lord Howe on 1981-03-01, Santiago on 1932-09-01),
    /// .NET takes that midnight as valid at the new offset while converting the instants after it
    /// at the old one until the change: <paramref name="tooEarly"/> is then still on the previous
    /// day. The day starts at the first instant that converts to it, found between there and
    /// midnight at the old offset.
    /// </summary>
    private static DateTimeOffset FirstInstantOf(DateOnly date, DateTimeOffset tooEarly, TimeZoneInfo zone)
    {
        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var low = tooEarly;
        var high = new DateTimeOffset(midnight, TimeZoneInfo.ConvertTime(tooEarly, zone).Offset);
        while (LocalDate(high, zone) < date)
        {
            high = high.AddHours(1);
        }

        while (high.UtcTicks - low.UtcTicks > 1)
        {
            var middle = low.AddTicks((high.UtcTicks - low.UtcTicks) / 2);
            if (LocalDate(middle, zone) >= date)
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return TimeZoneInfo.ConvertTime(high, zone);
    }

    private static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    private static DateOnly FirstDay(DateOnly date, BudgetPeriod period) => period switch
    {
        BudgetPeriod.Day => date,
        BudgetPeriod.Week => date.AddDays(-(((int)date.DayOfWeek + 6) % 7)),
        BudgetPeriod.Month => new DateOnly(date.Year, date.Month, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "unknown budget period"),
    };

    private static DateOnly Next(DateOnly first, BudgetPeriod period) => period switch
    {
        BudgetPeriod.Day => first.AddDays(1),
        BudgetPeriod.Week => first.AddDays(7),
        _ => first.AddMonths(1),
    };

    private static PeriodWindow Window(DateOnly first, BudgetPeriod period, TimeZoneInfo zone) =>
        new(StartOfDay(first, zone), StartOfDay(Next(first, period), zone));
}
