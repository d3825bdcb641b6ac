namespace BudgetCluster.TestSupport;

/// <summary>The test clock plus an offset a test advances, to carry a system past a period end.</summary>
public sealed class MovableClock : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => TestClock.Now.AddTicks(Interlocked.Read(ref _offsetTicks));
}
