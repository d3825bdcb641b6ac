using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>
/// One budget: the single writer of its spend. Key: budget id. Publishes every transition and
/// status change on its organization's budget stream.
/// </summary>
[Alias("budgetcluster.budget")]
public interface IBudgetGrain : IGrainWithStringKey
{
    /// <summary>Creates the budget or replaces its policy, keeping the current period's spend. Idempotent.</summary>
    [Alias("define-budget")]
    Task<BudgetStatus> DefineBudgetAsync(BudgetPolicy policy);

    /// <summary>The policy, or null when the budget does not exist (never created or deleted).</summary>
    [Alias("get-budget")]
    Task<BudgetPolicy?> GetBudgetAsync();

    /// <summary>The current status, or null when the budget does not exist.</summary>
    [Alias("get-budget-status")]
    Task<BudgetStatus?> GetBudgetStatusAsync();

    /// <summary>Deletes the budget (clearing it for subscribers); idempotent. Says whether this call deleted it and its org.</summary>
    [Alias("delete-budget")]
    Task<BudgetDeletion> DeleteBudgetAsync();

    /// <summary>
    /// Adds a gateway's spend; idempotent per (gateway, sequence range). When the spend made the
    /// budget change state, returns its new status (already persisted and published on the
    /// org's stream), so the caller's data plane can act on it before the stream arrives.
    /// </summary>
    [Alias("apply-usage")]
    Task<BudgetStatus?> ApplyUsageAsync(BudgetUsage usage);

    /// <summary>
    /// Hands the budget's stored notifications (its outbox) to its org's webhooks now; the budget's
    /// version when none is left, null when some could not be handed over. What a silo's sweep asks
    /// of a budget its org's webhooks expect notifications from (a deleted one too).
    /// </summary>
    [Alias("hand-over-notifications")]
    Task<long?> HandOverNotificationsAsync();

    /// <summary>
    /// The budget's stored transitions with a version above <paramref name="version"/>, oldest first
    /// (the last few only): what a data plane asks for when a status shows it a version whose
    /// transition its stream never brought (a memory stream queue loses what it held when Orleans
    /// moves it off a dead silo).
    /// </summary>
    [Alias("get-transitions-after")]
    [Orleans.Concurrency.ReadOnly]
    Task<ImmutableArray<BudgetEvent>> GetTransitionsAfterAsync(long version);
}
