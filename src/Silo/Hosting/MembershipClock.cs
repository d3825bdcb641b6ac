using System.Diagnostics;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// The clock of Orleans' membership and watchdog (<see cref="TimeProviderNames.Membership"/>): real
/// time, whatever the domain clock is, with timestamps counted from shortly before this clock was made.
/// <para>
/// Counted from here, not from the machine's boot, because Orleans 10.4.2's <c>Watchdog.Start</c>
/// starts its platform thread before it stores the participant-check timestamp: a first check in
/// between measures the time since timestamp 0, which with the system clock is the machine's uptime,
/// and a healthy first start logs "Participant check thread has not completed for 00:13:44". From
/// here that first check measures a few seconds, under its 20 s threshold, while a real stall later
/// is still reported. Real time, because membership votes a silo dead by its heartbeats: a domain
/// clock shifted for a test (<see cref="TelemetryIngress.Hosting.ShiftedClock"/>) must not make it look stale.
/// </para>
/// </summary>
internal sealed class MembershipClock : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp() - Stopwatch.Frequency;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => Stopwatch.GetTimestamp() - _origin;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow();

    public override TimeZoneInfo LocalTimeZone => System.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, dueTime, period);
}
