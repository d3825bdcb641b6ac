namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// When a budget's spend would reach its limit at the current burn rate (API.md §4 and §10):
/// <list type="bullet">
/// <item>The burn rate is the spend of the last <c>Budgets:ForecastWindow</c> (24 h) per hour, or of
/// the period so far when that is shorter. Over a whole window it is the spend applied to the budget
/// in the hours since the window began (kept per hour, by when it was applied), over the time those
/// hours span; within a period shorter than the window it is the period's spend over its elapsed time.</item>
/// <item>The projected exhaustion is now plus what is left of the limit at that rate, when that falls
/// before the period ends; none when the rate is zero, the budget is already at its limit, or the
/// projection reaches past the period (the spend resets first).</item>
/// <item><c>budget.forecast</c> is announced once per period, when there is a projected exhaustion and
/// the budget has not yet been exceeded.</item>
/// </list>
/// </summary>
public static class BudgetForecast
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);

    /// <param name="spent">The spend of the current period.</param>
    /// <param name="limit">The budget's limit.</param>
    /// <param name="period">The current period.</param>
    /// <param name="now">The time of the forecast.</param>
    /// <param name="window">How far back the burn rate looks (<c>Budgets:ForecastWindow</c>).</param>
    /// <param name="appliedByHour">The spend applied per UTC hour (its start), the last window's at least.</param>
    public static Forecast Of(
        decimal spent, decimal limit, PeriodWindow period, DateTimeOffset now, TimeSpan window, IReadOnlyDictionary<DateTimeOffset, decimal> appliedByHour)
    {
        ArgumentNullException.ThrowIfNull(appliedByHour);
        var elapsed = now - period.Start;
        if (elapsed <= TimeSpan.Zero || now >= period.End)
        {
            return new Forecast(null, null);
        }

        decimal rate;
        if (elapsed <= window)
        {
            rate = spent / Hours(elapsed);
        }
        else
        {
            var from = HourOf(now - window);
            rate = appliedByHour.Where(pair => pair.Key >= from).Sum(pair => pair.Value) / Hours(now - from);
        }

        if (rate <= 0m || spent >= limit)
        {
            return new Forecast(Math.Max(rate, 0m), null);
        }

        var hoursLeft = (limit - spent) / rate;
        return hoursLeft < Hours(period.End - now)
            ? new Forecast(rate, now.AddTicks((long)(hoursLeft * TimeSpan.TicksPerHour)))
            : new Forecast(rate, null);
    }

    /// <summary>Whether to announce <c>budget.forecast</c> now: a projected exhaustion, not yet exceeded, not yet announced this period.</summary>
    public static bool ShouldAnnounce(Forecast forecast, bool exceeded, bool announcedThisPeriod) =>
        forecast.ProjectedExhaustionAt is not null && !exceeded && !announcedThisPeriod;

    /// <summary>The start of the UTC hour holding <paramref name="instant"/>: the key of <c>appliedByHour</c>.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    private static decimal Hours(TimeSpan span) => (decimal)span.Ticks / TimeSpan.TicksPerHour;
}

/// <summary>A budget's burn rate (USD per hour; null before its period has begun) and when its spend would reach the limit this period (null: not this period).</summary>
public readonly record struct Forecast(decimal? BurnRateUsdPerHour, DateTimeOffset? ProjectedExhaustionAt);
