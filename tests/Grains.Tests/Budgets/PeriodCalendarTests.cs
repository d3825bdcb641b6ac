using System.Globalization;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Tests.Budgets;

public sealed class PeriodCalendarTests
{
    public static TheoryData<string, BudgetPeriod> ZonesAndPeriods()
    {
        var data = new TheoryData<string, BudgetPeriod>();
        string[] zones =
        [
            "UTC", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata",
            "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Havana", "Pacific/Chatham",
        ];
        foreach (var zone in zones)
        {
            foreach (var period in Enum.GetValues<BudgetPeriod>())
            {
                data.Add(zone, period);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ZonesAndPeriods))]
    public void Containing_RandomInstants_FallInExactlyOneContiguousPeriodStartingAtLocalMidnight(string zoneId, BudgetPeriod period)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var random = new Random(HashCode.Combine(zoneId.Length, zoneId[0], (int)period));
        var from = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var to = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

        for (var i = 0; i < 2_000; i++)
        {
            var instant = DateTimeOffset.FromUnixTimeSeconds(random.NextInt64(from, to));
            var window = PeriodCalendar.Containing(instant, period, zone);

            Assert.True(window.Contains(instant), $"{instant:O} not in {window}");
            // Contiguous: the next period starts where this one ends, and the previous one ends where it starts.
            Assert.Equal(window.End, PeriodCalendar.Containing(window.End, period, zone).Start);
            Assert.Equal(window.Start, PeriodCalendar.Containing(window.Start.AddTicks(-1), period, zone).End);
            // Exactly one: the boundaries belong to the period they start.
            Assert.Equal(window, PeriodCalendar.Containing(window.Start, period, zone));
            AssertStartsAtLocalStartOfDay(window.Start, period, zone);
        }
    }

    [Fact]
    public void Containing_LondonSpringForward_DayHas23Hours()
    {
        var london = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

        var day = PeriodCalendar.Containing(Utc("2026-03-29T12:00:00Z"), BudgetPeriod.Day, london);

        Assert.Equal(Utc("2026-03-29T00:00:00Z"), day.Start);
        Assert.Equal(Utc("2026-03-29T23:00:00Z"), day.End);
    }

    [Fact]
    public void Containing_NewYorkFallBack_DayHas25Hours()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

        var day = PeriodCalendar.Containing(Utc("2026-11-01T12:00:00Z"), BudgetPeriod.Day, newYork);

        Assert.Equal(Utc("2026-11-01T04:00:00Z"), day.Start);
        Assert.Equal(Utc("2026-11-02T05:00:00Z"), day.End);
    }

    [Fact]
    public void Containing_AucklandMonth_StartsAtLocalMidnightInDaylightTime()
    {
        var auckland = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Auckland");

        // 2026-11-30T11:30Z is already 2026-12-01 00:30 in Auckland (UTC+13).
        var december = PeriodCalendar.Containing(Utc("2026-11-30T11:30:00Z"), BudgetPeriod.Month, auckland);
        var november = PeriodCalendar.Containing(Utc("2026-11-30T10:59:59Z"), BudgetPeriod.Month, auckland);

        Assert.Equal(Utc("2026-11-30T11:00:00Z"), december.Start);
        Assert.Equal(Utc("2026-12-31T11:00:00Z"), december.End);
        Assert.Equal(december.Start, november.End);
    }

    [Fact]
    public void Containing_MidnightSkippedByDst_StartsWhenTheGapEnds()
    {
        // Santiago springs forward at local midnight (2026-09-06 00:00 -04 becomes 01:00 -03).
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");

        var day = PeriodCalendar.Containing(Utc("2026-09-06T12:00:00Z"), BudgetPeriod.Day, santiago);

        Assert.Equal(Utc("2026-09-06T04:00:00Z"), day.Start);
        Assert.Equal(TimeSpan.FromHours(23), day.End - day.Start);
    }

    [Theory]
    [InlineData("2026-11-23T00:00:00Z", "2026-11-23T00:00:00Z")] // a Monday
    [InlineData("2026-11-29T23:59:59Z", "2026-11-23T00:00:00Z")] // the Sunday after
    [InlineData("2026-11-30T00:00:00Z", "2026-11-30T00:00:00Z")]
    public void Containing_Week_StartsOnMonday(string instant, string expectedStart)
    {
        var week = PeriodCalendar.Containing(Utc(instant), BudgetPeriod.Week, TimeZoneInfo.Utc);

        Assert.Equal(Utc(expectedStart), week.Start);
        Assert.Equal(TimeSpan.FromDays(7), week.End - week.Start);
    }

    [Theory]
    [InlineData("2026-01-31T10:00:00Z", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")]
    [InlineData("2028-02-29T23:59:59Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z")]
    [InlineData("2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    public void Containing_Month_RunsFromTheFirstToTheFirst(string instant, string start, string end)
    {
        var month = PeriodCalendar.Containing(Utc(instant), BudgetPeriod.Month, TimeZoneInfo.Utc);

        Assert.Equal(new PeriodWindow(Utc(start), Utc(end)), month);
    }

    private static void AssertStartsAtLocalStartOfDay(DateTimeOffset start, BudgetPeriod period, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(start, zone);
        var justBefore = TimeZoneInfo.ConvertTime(start.AddTicks(-1), zone);
        // The previous instant is on an earlier local date: the period starts at the first instant of its day.
        Assert.True(DateOnly.FromDateTime(justBefore.DateTime) < DateOnly.FromDateTime(local.DateTime), $"{start:O} is not the start of a local day in {zone.Id}");
        switch (period)
        {
            case BudgetPeriod.Week:
                Assert.Equal(DayOfWeek.Monday, local.DayOfWeek);
                break;
            case BudgetPeriod.Month:
                Assert.Equal(1, local.Day);
                break;
        }
    }

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
