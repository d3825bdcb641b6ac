namespace BudgetCluster.Grains.Budgets;

/// <summary>One calendar period: <see cref="Start"/> inclusive, <see cref="End"/> exclusive, both UTC instants.</summary>
public readonly record struct PeriodWindow(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}
