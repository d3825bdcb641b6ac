namespace BudgetCluster.Grains.Budgets;

/// <summary>Configuration section <c>Budgets</c>.</summary>
public sealed class BudgetGrainOptions
{
    public const string SectionName = "Budgets";

    /// <summary>How often a budget with new spend persists its snapshot; transitions are persisted at once.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most how often a budget publishes its moving spend when no transition happens.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a budget waits before it looks at the clock again for its period end. The timer
    /// is set to the period end itself when that is sooner, so rollover happens at the boundary.
    /// </summary>
    public TimeSpan RolloverCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When a budget reads its period's spend from the ledger again after a definition (each a delay
    /// after the previous one): gateways that learn of the budget late store events it must count.
    /// </summary>
    public IReadOnlyList<TimeSpan> RebaseDelays { get; set; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(25)];

    /// <summary>How often each silo has every org wake its budgets whose period ended (after a silo died, nothing else would).</summary>
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How far back a budget's burn rate looks (<see cref="BudgetForecast"/>).</summary>
    public TimeSpan ForecastWindow { get; set; } = BudgetForecast.DefaultWindow;
}
