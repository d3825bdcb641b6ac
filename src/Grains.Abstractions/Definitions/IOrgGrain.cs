using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;
using Orleans.Concurrency;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// An organization: its definition, its environments and the registry of its budgets. Key: <c>org_id</c>.
/// Pushes <see cref="OrgSettings"/> (fail mode) to every environment on each change, and each
/// change of its <see cref="BudgetIndex"/> as a <see cref="BudgetIndexChange"/> through the
/// environments to their gateways.
/// </summary>
[Alias("budgetcluster.org")]
public interface IOrgGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the organization; idempotent. Durable when it returns.</summary>
    [Alias("put-org")]
    Task PutOrgAsync(OrgDefinition definition);

    /// <summary>The organization, or null when it was never created.</summary>
    [Alias("get-org")]
    Task<OrgDefinition?> GetOrgAsync();

    /// <summary>When the org was first created (kept across a delete and re-creation); null for an org stored before this was recorded.</summary>
    [Alias("get-created-at")]
    Task<DateTimeOffset?> GetCreatedAtAsync();

    /// <summary>Records an environment of this org and gives it the current settings; idempotent.</summary>
    [Alias("register-environment")]
    Task RegisterEnvironmentAsync(string environmentId);

    /// <summary>
    /// Forgets an environment that was deleted; idempotent. The admin API calls it after the
    /// environment's own deletion, so the org never waits on the environment meanwhile.
    /// </summary>
    [Alias("unregister-environment")]
    Task UnregisterEnvironmentAsync(string environmentId);

    /// <summary>
    /// Deletes the organization: false when it does not exist; <see cref="DefinitionConflictException"/>
    /// naming what remains when it still has environments or budgets. Its settings version is kept,
    /// so environments of an org created again under the same id take the new settings.
    /// </summary>
    [Alias("delete-org")]
    Task<bool> DeleteOrgAsync();

    /// <summary>
    /// Creates a budget or replaces its policy: the org grain owns every budget's lifecycle. The
    /// registry entry is stored first, marked pending, then the budget grain is defined, then the
    /// index is pushed to the environments; an org grain that finds a pending entry (after a crash
    /// between the steps) completes it, so registry and budget never disagree for long. Idempotent;
    /// durable when it returns. Throws <see cref="DefinitionConflictException"/> when the budget id
    /// belongs to another org.
    /// </summary>
    [Alias("define-budget")]
    Task DefineBudgetAsync(string budgetId, BudgetPolicy policy);

    /// <summary>
    /// Deletes a budget of this org: out of the index first (no event counts toward it from then
    /// on), then deleted in its grain (clearing it for subscribers), completed after a crash as
    /// for <see cref="DefineBudgetAsync"/>. Returns false when the org has no such budget. Idempotent.
    /// </summary>
    [Alias("delete-budget")]
    Task<bool> DeleteBudgetAsync(string budgetId);

    /// <summary>
    /// The environments of the organization, sorted by id. Interleaves with the org's other calls:
    /// a budget the org is defining asks for them (to sum its scope's spend) while the org waits on it.
    /// </summary>
    [Alias("list-environments")]
    [AlwaysInterleave]
    Task<ImmutableArray<string>> ListEnvironmentsAsync();

    /// <summary>
    /// Every environment the organization has had, deleted ones included (an environment id is
    /// never created again in another org), sorted by id: whose ledger rows are the org's usage.
    /// </summary>
    [Alias("list-usage-environments")]
    Task<ImmutableArray<string>> ListUsageEnvironmentsAsync();

    /// <summary>Every budget of the organization, sorted by id.</summary>
    [Alias("list-budgets")]
    Task<ImmutableArray<OrgBudget>> ListBudgetsAsync();

    /// <summary>
    /// Asks every budget whose period has ended since this org last asked (every budget, the first
    /// time after this org's activation) for its status, which activates it and rolls it over: a
    /// budget whose silo died clears at its period's end with no traffic. A silo's sweep calls it.
    /// </summary>
    /// <remarks>
    /// Interleaves: it only reads the budget registry before it waits for the budgets, so a slow
    /// budget never holds up the org's other calls.
    /// </remarks>
    [Alias("wake-budgets")]
    [AlwaysInterleave]
    Task WakeBudgetsAsync();

    /// <summary>The current settings (fail mode).</summary>
    [Alias("get-settings")]
    Task<OrgSettings> GetSettingsAsync();

    /// <summary>
    /// The budget index as stored: what a gateway fetches when it activates or finds it missed a
    /// change. Interleaves (an immutable snapshot): the org may be waiting on that gateway's push.
    /// </summary>
    [Alias("get-budget-index")]
    [AlwaysInterleave]
    Task<BudgetIndex> GetBudgetIndexAsync();

    /// <summary>The stored budget index's version: a gateway's timer compares it with its own before fetching the index.</summary>
    [Alias("get-budget-index-version")]
    [AlwaysInterleave]
    Task<long> GetBudgetIndexVersionAsync();
}
