using System.Globalization;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// The clock of a silo process a test starts at another instant than its own. Keep the instant at
/// or behind the test's clock: Orleans' membership reads the shifted clock too, and declares a silo
/// shifted ahead of its data by weeks dead.
/// </summary>
public static class ProcessClock
{
    /// <summary>The argument that starts a process whose clock reads <paramref name="instant"/> now.</summary>
    public static string At(DateTimeOffset instant)
    {
        var testOffset = ShiftedClock.Parse(Environment.GetEnvironmentVariable("Testing__ClockOffset")).GetValueOrDefault();
        var offset = testOffset + (instant - TestClock.Now);
        return $"--Testing:ClockOffset={offset.ToString("c", CultureInfo.InvariantCulture)}";
    }
}
