using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>
/// A budget transition for the budget's owners, from the budget's outbox: <see cref="EventId"/> is
/// stable (<c>evt_{budget_id}_{version}</c>), so every retry and every hand-over carries the same one.
/// <see cref="Status"/> has the transition's version.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-notification")]
public sealed record BudgetNotification(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset OccurredAt,
    [property: Id(3)] BudgetStatus Status,
    [property: Id(4)] decimal? Threshold)
{
    public static string IdOf(string budgetId, long version) => FormattableString.Invariant($"evt_{budgetId}_{version}");
}
