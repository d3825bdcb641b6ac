using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Usage;

/// <summary>The buckets of a usage view in a zone: made of whole UTC minutes, contiguous, aligned to the zone's calendar and clock.</summary>
public sealed class BucketCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo StJohns = TimeZoneInfo.FindSystemTimeZoneById("America/St_Johns");
    private static readonly TimeZoneInfo Kathmandu = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kathmandu");

    [Fact]
    public void Boundaries_DaysInBerlinOverTheOctoberChange_HaveA25HourDay()
    {
        var change = LastSunday(TestClock.Now.Year, 10);
        var start = PeriodCalendar.StartOfDay(change.AddDays(-1), Berlin);

        var boundaries = BucketCalendar.Boundaries(start, PeriodCalendar.StartOfDay(change.AddDays(2), Berlin), BucketWidth.Day, Berlin, 1500)!;

        Assert.Equal([24.0, 25.0, 24.0], Lengths(boundaries));
        Assert.All(boundaries, at => Assert.Equal(TimeOnly.MinValue, TimeOnly.FromDateTime(Local(at, Berlin))));
    }

    [Fact]
    public void Boundaries_DaysInBerlinOverTheMarchChange_HaveA23HourDay()
    {
        var change = LastSunday(TestClock.Now.Year, 3);
        var start = PeriodCalendar.StartOfDay(change.AddDays(-1), Berlin);

        var boundaries = BucketCalendar.Boundaries(start, PeriodCalendar.StartOfDay(change.AddDays(2), Berlin), BucketWidth.Day, Berlin, 1500)!;

        Assert.Equal([24.0, 23.0, 24.0], Lengths(boundaries));
    }

    [Fact]
    public void Boundaries_HoursInBerlinOverTheOctoberChange_RepeatTheLocalHourAsTwoBuckets()
    {
        var change = LastSunday(TestClock.Now.Year, 10);
        var start = PeriodCalendar.StartOfDay(change, Berlin);

        var boundaries = BucketCalendar.Boundaries(start, PeriodCalendar.StartOfDay(change.AddDays(1), Berlin), BucketWidth.Hour, Berlin, 1500)!;

        Assert.Equal(26, boundaries.Count);
        Assert.All(Lengths(boundaries), hours => Assert.Equal(1.0, hours));
        Assert.Equal(
            [0, 1, 2, 2, 3, 4],
            boundaries.Take(6).Select(at => Local(at, Berlin).Hour));
        Assert.All(boundaries, at => Assert.Equal(0, Local(at, Berlin).Minute));
    }

    [Fact]
    public void Boundaries_DaysInStJohns_StartAtLocalMidnightOverAYear()
    {
        var start = BucketCalendar.Containing(TestClock.Now, BucketWidth.Day, StJohns).Start;

        var boundaries = BucketCalendar.Boundaries(start, start.AddDays(366), BucketWidth.Day, StJohns, 1500)!;

        Assert.All(boundaries, at => Assert.Equal(new TimeOnly(0, 0), TimeOnly.FromDateTime(Local(at, StJohns))));
        // -03:30 in winter, -02:30 in summer: days start at 03:30 or 02:30 UTC, and both happen in a year.
        Assert.Equal([(2, 30), (3, 30)], boundaries.Select(at => (at.UtcDateTime.Hour, at.UtcDateTime.Minute)).Distinct().Order());
        Assert.Contains(23.0, Lengths(boundaries));
        Assert.Contains(25.0, Lengths(boundaries));
    }

    [Fact]
    public void Boundaries_HoursInKathmandu_StartAtQuarterPastTheUtcHour()
    {
        var start = BucketCalendar.Containing(TestClock.Now, BucketWidth.Hour, Kathmandu).Start;

        var boundaries = BucketCalendar.Boundaries(start, start.AddHours(48), BucketWidth.Hour, Kathmandu, 1500)!;

        Assert.Equal(49, boundaries.Count);
        Assert.All(boundaries, at => Assert.Equal(15, at.UtcDateTime.Minute));
        Assert.All(boundaries, at => Assert.Equal(0, Local(at, Kathmandu).Minute));
    }

    [Fact]
    public void Boundaries_WeeksAndMonths_AreTheBudgetPeriods()
    {
        var start = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Week, Berlin).Start;

        var weeks = BucketCalendar.Boundaries(start, start.AddDays(70), BucketWidth.Week, Berlin, 1500)!;

        Assert.All(weeks, at => Assert.Equal(DayOfWeek.Monday, Local(at, Berlin).DayOfWeek));
        var monthStart = PeriodCalendar.Containing(TestClock.Now, BudgetPeriod.Month, Berlin).Start;
        var months = BucketCalendar.Boundaries(monthStart, PeriodCalendar.Containing(monthStart.AddDays(370), BudgetPeriod.Month, Berlin).Start, BucketWidth.Month, Berlin, 1500)!;
        Assert.Equal(13, months.Count);
        Assert.All(months, at => Assert.Equal(1, Local(at, Berlin).Day));
    }

    [Fact]
    public void Boundaries_MoreThanTheLimit_IsNull()
    {
        var start = BucketCalendar.Containing(TestClock.Now, BucketWidth.Minute, TimeZoneInfo.Utc).Start;

        Assert.NotNull(BucketCalendar.Boundaries(start, start.AddMinutes(1500), BucketWidth.Minute, TimeZoneInfo.Utc, 1500));
        Assert.Null(BucketCalendar.Boundaries(start, start.AddMinutes(1501), BucketWidth.Minute, TimeZoneInfo.Utc, 1500));
    }

    public static TheoryData<string, BucketWidth> ZonesAndWidths()
    {
        var data = new TheoryData<string, BucketWidth>();
        foreach (var zone in new[] { "UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "America/Havana" })
        {
            foreach (var width in Enum.GetValues<BucketWidth>())
            {
                data.Add(zone, width);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ZonesAndWidths))]
    public void Containing_RandomInstants_LieInOneContiguousBucketOfWholeMinutes(string zoneId, BucketWidth width)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var random = new Random(HashCode.Combine(zoneId.Length, zoneId[^1], (int)width));
        for (var i = 0; i < 500; i++)
        {
            var instant = TestClock.Now.AddMinutes(random.Next(-2 * 366 * 24 * 60, 2 * 366 * 24 * 60)).AddSeconds(random.Next(60));

            var bucket = BucketCalendar.Containing(instant, width, zone);

            Assert.True(bucket.Contains(instant), $"{instant:o} not in [{bucket.Start:o}, {bucket.End:o})");
            Assert.Equal(0, bucket.Start.UtcTicks % TimeSpan.TicksPerMinute);
            Assert.Equal(0, bucket.End.UtcTicks % TimeSpan.TicksPerMinute);
            Assert.Equal(bucket.End, BucketCalendar.Containing(bucket.End, width, zone).Start);
            Assert.Equal(bucket.Start, BucketCalendar.Containing(bucket.Start.AddTicks(-1), width, zone).End);
            Assert.True(BucketCalendar.IsBoundary(bucket.Start, width, zone));
            if (width is BucketWidth.Hour)
            {
                Assert.True(bucket.End - bucket.Start <= TimeSpan.FromHours(1));
                var local = Local(instant, zone);
                Assert.Equal((local.Date, local.Hour), (Local(bucket.Start, zone).Date, Local(bucket.Start, zone).Hour));
            }
            else if (width is BucketWidth.Day or BucketWidth.Week or BucketWidth.Month)
            {
                var period = width switch { BucketWidth.Day => BudgetPeriod.Day, BucketWidth.Week => BudgetPeriod.Week, _ => BudgetPeriod.Month };
                Assert.Equal(PeriodCalendar.Containing(instant, period, zone), bucket);
            }
        }
    }

    [Fact]
    public void Containing_EveryZoneOfTheSystem_HasBoundariesOfWholeMinutesFromTheFirstYearOn()
    {
        // Rollups are per UTC minute, so a view's boundaries must be whole minutes in every zone a
        // query may name, however odd its history (Africa/Monrovia was -00:44:30 until 1972).
        var random = new Random(11);
        var span = (BucketCalendar.Latest - BucketCalendar.Earliest).TotalMinutes;
        var zones = TimeZoneInfo.GetSystemTimeZones();
        Assert.True(zones.Count > 300, $"only {zones.Count} zones: is tzdata installed?");
        foreach (var zone in zones)
        {
            var instants = Enumerable.Range(0, 40)
                .Select(_ => BucketCalendar.Earliest.AddMinutes(random.NextDouble() * span * (random.Next(4) == 0 ? 1 : 0.01)))
                .Append(BucketCalendar.Earliest);
            foreach (var instant in instants)
            {
                foreach (var width in new[] { BucketWidth.Hour, BucketWidth.Day })
                {
                    var bucket = BucketCalendar.Containing(instant, width, zone);
                    Assert.True(
                        bucket.Start.UtcTicks % TimeSpan.TicksPerMinute == 0 && bucket.End.UtcTicks % TimeSpan.TicksPerMinute == 0,
                        $"{zone.Id} {width} at {instant:o}: [{bucket.Start:o}, {bucket.End:o})");
                }
            }
        }
    }

    private static DateOnly LastSunday(int year, int month)
    {
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        return last.AddDays(-(int)last.DayOfWeek);
    }

    private static DateTime Local(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).DateTime;

    private static List<double> Lengths(IReadOnlyList<DateTimeOffset> boundaries) =>
        [.. boundaries.Zip(boundaries.Skip(1), (from, to) => (to - from).TotalHours)];
}
