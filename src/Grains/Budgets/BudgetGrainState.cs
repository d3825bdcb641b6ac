using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Notifications;

namespace BudgetCluster.Grains.Budgets;

/// <summary>
/// The persisted snapshot of a <see cref="BudgetGrain"/>. <see cref="SpendByPeriod"/> (the deltas
/// applied) covers, for each gateway, exactly its usage up to the sequence in <see cref="Watermarks"/>.
/// </summary>
[GenerateSerializer]
[Alias("budgetcluster.budget-state.v1")]
public sealed class BudgetGrainState
{
    [Id(0)] public BudgetPolicy? Policy { get; set; }
    [Id(1)] public bool Deleted { get; set; }
    [Id(2)] public DateTimeOffset PeriodStart { get; set; }
    [Id(3)] public DateTimeOffset PeriodEnd { get; set; }
    /// <summary>Spend per period start: the current period, a few past ones (late events) and possibly the next (clock skew).</summary>
    [Id(4)] public Dictionary<DateTimeOffset, decimal> SpendByPeriod { get; set; } = [];
    [Id(5)] public BudgetState NotifiedState { get; set; }
    [Id(6)] public bool NotifiedBlocking { get; set; }
    [Id(7)] public List<decimal> FiredThresholds { get; set; } = [];
    [Id(8)] public long Version { get; set; }
    /// <summary>Per gateway (<c>env/dp</c>): the highest ledger sequence whose spend is counted.</summary>
    [Id(9)] public Dictionary<string, long> Watermarks { get; set; } = new(StringComparer.Ordinal);
    /// <summary>
    /// Per period start, the spend of the budget's scope that no delta brings: the events stored
    /// before the gateways routed them here (a budget created or re-scoped mid-period). A period's
    /// spend is this plus <see cref="SpendByPeriod"/>; see <c>BudgetGrain.RebaseAsync</c>.
    /// </summary>
    [Id(10)] public Dictionary<DateTimeOffset, decimal> BaseByPeriod { get; set; } = [];
    /// <summary>
    /// Transitions for the budget's owners (webhooks), stored in the same write as the transition and
    /// kept until the org's webhooks grain has taken them (it ignores one taken before).
    /// </summary>
    [Id(11)] public List<BudgetNotification> Outbox { get; set; } = [];
    /// <summary>Spend applied per UTC hour (its start) over the last forecast window: the burn rate's source.</summary>
    [Id(12)] public Dictionary<DateTimeOffset, decimal> AppliedByHour { get; set; } = [];
    /// <summary>The period whose <c>budget.forecast</c> was announced, so it is announced once per period.</summary>
    [Id(13)] public DateTimeOffset? ForecastAnnouncedFor { get; set; }
    /// <summary>
    /// The last transitions published on the org's stream (at most <see cref="BudgetGrain.TransitionsKept"/>),
    /// stored in the same write as the transition: a data plane that missed one on the stream asks for it.
    /// </summary>
    [Id(14)] public List<BudgetEvent> RecentTransitions { get; set; } = [];
}
