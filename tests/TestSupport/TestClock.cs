using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TestSupport;

/// <summary>
/// The clock tests build event times from, the same one every process they start runs on: the
/// system clock shifted by the environment variable <c>Testing__ClockOffset</c> (unset: no shift).
/// <c>scripts/test-at.sh</c> sets it to run the suite at a month boundary; a child process
/// inherits the variable, so it agrees on "now".
/// </summary>
public static class TestClock
{
    public static TimeProvider Provider { get; } = ShiftedClock.FromOffset(Environment.GetEnvironmentVariable("Testing__ClockOffset"));

    public static DateTimeOffset Now => Provider.GetUtcNow();

    /// <summary>
    /// Waits, when a period boundary is closer than <paramref name="margin"/>, until just after it,
    /// so that a test that posts events "now" and reads the budget's current period sees one period.
    /// Every day, week and month of every IANA zone in use starts on a quarter hour of UTC.
    /// </summary>
    public static async Task AwayFromPeriodBoundaryAsync(TimeSpan? margin = null)
    {
        var now = Now;
        var quarter = TimeSpan.FromMinutes(15);
        var next = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % quarter.Ticks), TimeSpan.Zero) + quarter;
        var left = next - now;
        if (left < (margin ?? TimeSpan.FromSeconds(20)))
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(500));
        }
    }
}
