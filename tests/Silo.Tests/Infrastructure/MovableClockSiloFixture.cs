using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>A silo whose clock the test moves forward; a derived fixture says which timers look at it how often.</summary>
public abstract class MovableClockSiloFixture : SiloFixture
{
    public MovableClock Clock { get; } = new();

    protected override TimeProvider Time => Clock;
}
