using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// An organization: its definition, its environments and the registry of its budgets. Key: <c>org_id</c>.
/// Pushes <see cref="OrgSettings"/> (fail mode, budget index) to every environment on each change.
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

    /// <summary>Records an environment of this org and gives it the current settings; idempotent.</summary>
    [Alias("register-environment")]
    Task RegisterEnvironmentAsync(string environmentId);

    /// <summary>Adds or replaces a budget in the registry and the index; idempotent.</summary>
    [Alias("upsert-budget")]
    Task UpsertBudgetAsync(string budgetId, BudgetPolicy policy);

    /// <summary>Removes a budget from the registry and the index; idempotent.</summary>
    [Alias("remove-budget")]
    Task RemoveBudgetAsync(string budgetId);

    /// <summary>The environments of the organization, sorted by id.</summary>
    [Alias("list-environments")]
    Task<ImmutableArray<string>> ListEnvironmentsAsync();

    /// <summary>Every budget of the organization, sorted by id.</summary>
    [Alias("list-budgets")]
    Task<ImmutableArray<OrgBudget>> ListBudgetsAsync();

    /// <summary>The current settings (fail mode, budget index).</summary>
    [Alias("get-settings")]
    Task<OrgSettings> GetSettingsAsync();
}
