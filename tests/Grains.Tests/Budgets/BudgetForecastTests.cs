using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Tests.Budgets;

/// <summary>The forecast rule next to <see cref="BudgetEvaluator"/>: burn rate, projected exhaustion, when to announce.</summary>
public sealed class BudgetForecastTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PeriodWindow Day = new(Start, Start.AddDays(1));
    private static readonly PeriodWindow Month = new(Start, Start.AddMonths(1));
    private static readonly Dictionary<DateTimeOffset, decimal> NoHours = [];

    [Fact]
    public void Of_SteadySpendEarlyInADay_ProjectsWhenTheLimitIsReached()
    {
        // $2 in the first 4 hours: $0.50/h; $8 left of $10 takes 16 h more: at 20:00.
        var forecast = BudgetForecast.Of(2m, 10m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);

        Assert.Equal(0.5m, forecast.BurnRateUsdPerHour);
        Assert.Equal(Start.AddHours(20), forecast.ProjectedExhaustionAt);
        Assert.True(BudgetForecast.ShouldAnnounce(forecast, exceeded: false, announcedThisPeriod: false));
    }

    [Fact]
    public void Of_SpendThatWouldReachTheLimitAfterThePeriod_ProjectsNothing()
    {
        // $0.50/h reaches $20 at 40:00, after the day ends: the spend resets first.
        var forecast = BudgetForecast.Of(2m, 20m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);

        Assert.Equal(0.5m, forecast.BurnRateUsdPerHour);
        Assert.Null(forecast.ProjectedExhaustionAt);
        Assert.False(BudgetForecast.ShouldAnnounce(forecast, exceeded: false, announcedThisPeriod: false));
    }

    [Fact]
    public void Of_ABurstThenNothingForADay_TheRateDecaysToTheLastWindow()
    {
        // $50 spent on the 2nd, nothing since: on the 10th the last 24 h hold nothing.
        var burst = new Dictionary<DateTimeOffset, decimal> { [Start.AddDays(1).AddHours(3)] = 50m };
        var now = Start.AddDays(9);

        var forecast = BudgetForecast.Of(50m, 100m, Month, now, BudgetForecast.DefaultWindow, burst);

        Assert.Equal(0m, forecast.BurnRateUsdPerHour);
        Assert.Null(forecast.ProjectedExhaustionAt);
    }

    [Fact]
    public void Of_AWholeWindow_UsesTheHoursSinceItBegan()
    {
        // 30 min into the hour: the window reaches back to the start of the same hour yesterday (24.5 h),
        // and holds $49 of the $90 of the month: $2/h; $10 left of $100 takes 5 h.
        var now = Start.AddDays(10).AddMinutes(30);
        var hours = new Dictionary<DateTimeOffset, decimal>
        {
            [BudgetForecast.HourOf(now.AddHours(-25))] = 41m,
            [BudgetForecast.HourOf(now.AddHours(-24))] = 20m,
            [BudgetForecast.HourOf(now)] = 29m,
        };

        var forecast = BudgetForecast.Of(90m, 100m, Month, now, BudgetForecast.DefaultWindow, hours);

        Assert.Equal(2m, forecast.BurnRateUsdPerHour);
        Assert.Equal(now.AddHours(5), forecast.ProjectedExhaustionAt);
    }

    [Fact]
    public void Of_AtOrOverTheLimit_ProjectsNothing_AndExceededIsNeverAnnounced()
    {
        var forecast = BudgetForecast.Of(10m, 10m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);

        Assert.Null(forecast.ProjectedExhaustionAt);
        var projected = BudgetForecast.Of(9m, 10m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);
        Assert.False(BudgetForecast.ShouldAnnounce(projected, exceeded: true, announcedThisPeriod: false));
        Assert.False(BudgetForecast.ShouldAnnounce(projected, exceeded: false, announcedThisPeriod: true));
    }

    [Fact]
    public void Of_NoSpendOrBeforeThePeriod_HasNoProjection()
    {
        Assert.Equal(new Forecast(0m, null), BudgetForecast.Of(0m, 10m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours));
        Assert.Equal(new Forecast(null, null), BudgetForecast.Of(0m, 10m, Day, Start, BudgetForecast.DefaultWindow, NoHours));
    }

    [Fact]
    public void Of_ARaisedLimit_MovesTheProjection()
    {
        var before = BudgetForecast.Of(2m, 10m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);
        var raised = BudgetForecast.Of(2m, 12m, Day, Start.AddHours(4), BudgetForecast.DefaultWindow, NoHours);

        // $10 left at $0.50/h is 20 h more: exactly the day's end, when the spend resets.
        Assert.Equal(Start.AddHours(20), before.ProjectedExhaustionAt);
        Assert.Null(raised.ProjectedExhaustionAt);
    }
}
