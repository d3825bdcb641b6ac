using BudgetCluster.Grains.Billing;

namespace BudgetCluster.Grains.Tests.Billing;

public sealed class StatementPeriodTests
{
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

    [Theory]
    [InlineData("2026-11", 2026, 11)]
    [InlineData("1972-01", 1972, 1)]
    [InlineData("9998-12", 9998, 12)]
    public void TryParse_YearAndMonth_IsThatPeriod(string text, int year, int month)
    {
        Assert.True(StatementPeriod.TryParse(text, out var period));
        Assert.Equal(new StatementPeriod(year, month), period);
        Assert.Equal(text, period.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2026-1")]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("2026/11")]
    [InlineData("202611")]
    [InlineData("2026-11-01")]
    [InlineData("1971-12")]
    [InlineData("9999-01")]
    [InlineData("+026-11")]
    [InlineData("２０２６-11")]
    [InlineData(null)]
    public void TryParse_AnythingElse_IsRefused(string? text) => Assert.False(StatementPeriod.TryParse(text, out _));

    [Fact]
    public void Window_LosAngeles_StartsAtLocalMidnightOfTheFirst()
    {
        var november = new StatementPeriod(2026, 11).Window(LosAngeles);

        // PDT (-07:00) on the 1st of November, PST (-08:00) on the 1st of December.
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(-7)), november.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(-8)), november.End);
    }

    [Fact]
    public void Containing_RandomInstantsInSeveralZones_IsThePeriodWhoseWindowHoldsThem()
    {
        var random = new Random(7);
        string[] zones = ["UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Australia/Lord_Howe"];
        foreach (var name in zones)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            for (var i = 0; i < 300; i++)
            {
                var instant = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 40 * 525_600));
                var period = StatementPeriod.Containing(instant, zone);
                var window = period.Window(zone);

                Assert.True(window.Contains(instant), $"{name} {instant:o} not in {period}");
                Assert.Equal(window.End, period.Next.Window(zone).Start);
                Assert.Equal(period, period.Next.Previous);
            }
        }
    }
}
