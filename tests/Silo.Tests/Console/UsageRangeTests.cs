using BudgetCluster.Silo.Console;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Console;

public sealed class UsageRangeTests
{
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Last24Hours_AreLocalClockHours_EndingWithTheOneThatHoldsNow()
    {
        // Kolkata's hours start at :30 UTC: a UTC-hour alignment would be refused by the usage view.
        var now = TestClock.Now;
        var localHour = TimeZoneInfo.ConvertTime(now, Kolkata);
        var expected = new DateTimeOffset(localHour.Year, localHour.Month, localHour.Day, localHour.Hour, 0, 0, localHour.Offset).AddHours(-23);

        var parameters = UsageRange.Parameters("24h", now, Kolkata, "model");

        Assert.Equal("1h", parameters["bucket_width"].ToString());
        Assert.Equal(expected.UtcDateTime, DateTimeOffset.Parse(parameters["starting_at"]!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime);
        Assert.Equal("Asia/Kolkata", parameters["time_zone"].ToString());
        Assert.Equal("model", parameters["group_by"].ToString());
    }

    [Fact]
    public void ThisMonth_StartsAtLocalMidnightOfTheFirst_InDays()
    {
        var now = TestClock.Now;
        var local = TimeZoneInfo.ConvertTime(now, Berlin);
        var first = new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var expected = new DateTimeOffset(first, Berlin.GetUtcOffset(first));

        var parameters = UsageRange.Parameters("month", now, Berlin, "team");

        Assert.Equal("1d", parameters["bucket_width"].ToString());
        Assert.Equal(expected.UtcDateTime, DateTimeOffset.Parse(parameters["starting_at"]!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime);
    }

    [Theory]
    [InlineData("7d", 6)]
    [InlineData("31d", 30)]
    public void DayRanges_StartThatManyLocalDaysBeforeToday(string range, int daysBack)
    {
        var now = TestClock.Now;
        var today = TimeZoneInfo.ConvertTime(now, Berlin).Date;
        var first = today.AddDays(-daysBack);
        var expected = new DateTimeOffset(first, Berlin.GetUtcOffset(first));

        var parameters = UsageRange.Parameters(range, now, Berlin, "model");

        Assert.Equal("1d", parameters["bucket_width"].ToString());
        Assert.Equal(expected.UtcDateTime, DateTimeOffset.Parse(parameters["starting_at"]!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime);
    }

    [Fact]
    public void Custom_IsWholeLocalDays_BothEndsIncluded_AcrossADstChange()
    {
        // Berlin's clocks go back on the last Sunday of October: that day has 25 hours.
        var year = TestClock.Now.Year;
        var lastSunday = new DateOnly(year, 10, 31);
        while (lastSunday.DayOfWeek != DayOfWeek.Sunday)
        {
            lastSunday = lastSunday.AddDays(-1);
        }

        var parameters = UsageRange.Custom(lastSunday, lastSunday, Berlin, "model")!;

        var start = DateTimeOffset.Parse(parameters["starting_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(parameters["ending_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(25), end - start);
        Assert.Equal(new DateTime(lastSunday.Year, lastSunday.Month, lastSunday.Day, 0, 0, 0), TimeZoneInfo.ConvertTime(start, Berlin).DateTime);
        Assert.Equal("1d", parameters["bucket_width"].ToString());
    }

    [Fact]
    public void Custom_WithoutBothDates_IsNothing() =>
        Assert.Null(UsageRange.Custom(new DateOnly(2026, 1, 1), null, Berlin, "model"));
}
