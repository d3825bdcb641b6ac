using System.Diagnostics;
using BudgetCluster.Silo.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>
/// Orleans' watchdog reads the membership clock; its first check can run before it stored its own
/// timestamp and then measures from timestamp 0 (<c>MembershipClock</c> says why).
/// </summary>
public sealed class MembershipClockTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public void TheWatchdogsClock_MeasuresTimestampZeroFromThisProcess_NotFromTheMachinesBoot()
    {
        var clock = silo.App.Services.GetRequiredKeyedService<TimeProvider>(TimeProviderNames.Membership);

        var sinceZero = clock.GetElapsedTime(0);
        using var process = Process.GetCurrentProcess();
        var processUptime = DateTime.Now - process.StartTime;

        // The system clock would give the machine's uptime, which began before this process did;
        // this one counts from when the silo was built, in this process, a second early.
        Assert.InRange(sinceZero, TimeSpan.FromSeconds(1), processUptime + TimeSpan.FromSeconds(1));
        Assert.InRange(clock.GetUtcNow() - TimeProvider.System.GetUtcNow(), TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
    }
}
