using System.Globalization;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Tests.Budgets;

public sealed class PeriodCalendarTests
{
    public static TheoryData<string, BudgetPeriod> ZonesAndPeriods() => EveryPeriodIn(
        "UTC", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata",
        "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Havana", "Pacific/Chatham");

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
            AssertPeriodProperties(DateTimeOffset.FromUnixTimeSeconds(random.NextInt64(from, to)), period, zone);
        }
    }

    /// <summary>Offsets of ±14 and -12 hours, quarter hours, moves across the date line, days that repeat.</summary>
    public static TheoryData<string, BudgetPeriod> ExtremeZonesAndPeriods() => EveryPeriodIn(
        "UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12", "Pacific/Pago_Pago",
        "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia", "Pacific/Kwajalein", "America/Sitka",
        "Asia/Manila", "America/St_Johns", "Asia/Kathmandu", "America/Santiago", "Europe/London");

    [Theory]
    [MemberData(nameof(ExtremeZonesAndPeriods))]
    public void Containing_InstantsAcrossTheWholeSupportedRange_FallInExactlyOneContiguousPeriodStartingAtLocalMidnight(string zoneId, BudgetPeriod period)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var random = new Random(HashCode.Combine(zoneId.Length, zoneId[^1], (int)period));
        var instants = new List<DateTimeOffset>
        {
            PeriodCalendar.EarliestInstant,
            PeriodCalendar.EarliestInstant.AddTicks(1),
            PeriodCalendar.LatestInstant,
            PeriodCalendar.LatestInstant.AddTicks(-1),
            Utc("2011-12-29T10:00:00Z"), // Samoa skips 2011-12-30
            Utc("1969-10-01T12:00:00Z"), // Kwajalein goes back 23 hours
            Utc("1867-10-19T00:00:00Z"), // Alaska goes back a day
        };
        // Each era: its first and last year. The edges of the calendar, the years of local mean time, and now.
        (int From, int To)[] eras = [(2, 30), (1000, 1000), (1800, 1970), (1970, 2100), (9950, 9998)];
        foreach (var (fromYear, toYear) in eras)
        {
            var from = new DateTimeOffset(fromYear, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
            var to = new DateTimeOffset(toYear, 12, 31, 23, 59, 59, TimeSpan.Zero).UtcTicks;
            for (var i = 0; i < 200; i++)
            {
                instants.Add(new DateTimeOffset(random.NextInt64(from, to), TimeSpan.Zero));
            }
        }

        foreach (var instant in instants)
        {
            AssertPeriodProperties(instant, period, zone);
        }
    }

    [Fact]
    public void Containing_AroundEveryOffsetChangeOfEverySystemZone_FallsInExactlyOneContiguousPeriod()
    {
        var zones = TimeZoneInfo.GetSystemTimeZones();
        Assert.True(zones.Count > 300, $"only {zones.Count} zones: no IANA database?");
        var random = new Random(20261201);
        var checkedInstants = 0;
        foreach (var zone in zones)
        {
            // Adjustment rules begin and end where a zone's offsets change: the dates of gaps,
            // repeats and moves across the date line.
            foreach (var rule in zone.GetAdjustmentRules())
            {
                foreach (var edge in new[] { rule.DateStart, rule.DateEnd })
                {
                    if (edge.Year is < 3 or > 9997)
                    {
                        continue;
                    }

                    var center = new DateTimeOffset(DateTime.SpecifyKind(edge, DateTimeKind.Utc));
                    var period = (BudgetPeriod)random.Next(3);
                    for (var i = 0; i < 3; i++)
                    {
                        var instant = center.AddMinutes(random.Next(-3 * 24 * 60, 3 * 24 * 60));
                        var window = PeriodCalendar.Containing(instant, period, zone);
                        Assert.True(window.Contains(instant), $"{instant:O} not in {window} ({zone.Id}, {period})");
                        Assert.Equal(window.End, PeriodCalendar.Containing(window.End, period, zone).Start);
                        Assert.Equal(window, PeriodCalendar.Containing(window.Start, period, zone));
                        checkedInstants++;
                    }
                }
            }
        }

        Assert.True(checkedInstants > 10_000, $"only {checkedInstants} instants checked");
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0001-12-31T23:59:59.9999999Z")]
    [InlineData("9999-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Containing_OutsideYears2To9998_ThrowsArgumentOutOfRange(string instant)
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

        foreach (var period in Enum.GetValues<BudgetPeriod>())
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => PeriodCalendar.Containing(Utc(instant), period, tokyo));
            Assert.Equal("instant", error.ParamName);
        }
    }

    [Fact]
    public void Containing_EarliestInstantInTokyo_IsInTheFirstMonthOfYear2()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

        var month = PeriodCalendar.Containing(PeriodCalendar.EarliestInstant, BudgetPeriod.Month, tokyo);

        // Local mean time of Tokyo, +09:18:59, which .NET truncates to whole minutes.
        Assert.Equal(new DateTimeOffset(2, 1, 1, 0, 0, 0, TimeSpan.FromMinutes((9 * 60) + 18)), month.Start);
        Assert.Equal(new DateTimeOffset(2, 2, 1, 0, 0, 0, TimeSpan.FromMinutes((9 * 60) + 18)), month.End);
    }

    [Theory]
    [InlineData("Australia/Lord_Howe", "1981-03-01T06:00:00Z", "1981-02-28T14:00:00Z")] // +10:00 becomes +10:30 at midnight
    [InlineData("America/Santiago", "1932-09-01T12:00:00Z", "1932-09-01T05:00:00Z")] // -05:00 becomes -04:00 at midnight
    public void Containing_BaseOffsetGrowingAtMidnight_StartsWhereTheLocalDateChanges(string zoneId, string instant, string expectedStart)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);

        var day = PeriodCalendar.Containing(Utc(instant), BudgetPeriod.Day, zone);

        Assert.Equal(Utc(expectedStart), day.Start);
        Assert.Equal(day.Start, PeriodCalendar.Containing(day.Start.AddTicks(-1), BudgetPeriod.Day, zone).End);
    }

    [Fact]
    public void Containing_SamoaSkippedDay_NeverAppearsAndTheDaysAroundItTouch()
    {
        var apia = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Apia");

        // 2011-12-29 23:59:59 -10:00 is followed by 2011-12-31 00:00:00 +14:00.
        var before = PeriodCalendar.Containing(Utc("2011-12-30T09:59:59Z"), BudgetPeriod.Day, apia);
        var after = PeriodCalendar.Containing(Utc("2011-12-30T10:00:00Z"), BudgetPeriod.Day, apia);

        Assert.Equal(Utc("2011-12-30T10:00:00Z"), before.End);
        Assert.Equal(new PeriodWindow(Utc("2011-12-30T10:00:00Z"), Utc("2011-12-31T10:00:00Z")), after);
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

    private static TheoryData<string, BudgetPeriod> EveryPeriodIn(params string[] zones)
    {
        var data = new TheoryData<string, BudgetPeriod>();
        foreach (var zone in zones)
        {
            foreach (var period in Enum.GetValues<BudgetPeriod>())
            {
                data.Add(zone, period);
            }
        }

        return data;
    }

    private static void AssertPeriodProperties(DateTimeOffset instant, BudgetPeriod period, TimeZoneInfo zone)
    {
        var window = PeriodCalendar.Containing(instant, period, zone);

        Assert.True(window.Contains(instant), $"{instant:O} not in {window} ({zone.Id})");
        // Contiguous: the next period starts where this one ends, and the previous one ends where it starts.
        if (window.End <= PeriodCalendar.LatestInstant)
        {
            Assert.Equal(window.End, PeriodCalendar.Containing(window.End, period, zone).Start);
        }

        if (window.Start > PeriodCalendar.EarliestInstant)
        {
            Assert.Equal(window.Start, PeriodCalendar.Containing(window.Start.AddTicks(-1), period, zone).End);
        }

        // Exactly one: the boundaries belong to the period they start.
        if (window.Start >= PeriodCalendar.EarliestInstant)
        {
            Assert.Equal(window, PeriodCalendar.Containing(window.Start, period, zone));
        }

        AssertStartsAtLocalStartOfDay(window.Start, period, zone);
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
