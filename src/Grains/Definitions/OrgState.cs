using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.Grains.Definitions;

/// <summary>Persisted state of an <see cref="OrgGrain"/>.</summary>
[GenerateSerializer]
[Alias("budgetcluster.org-state.v1")]
public sealed class OrgState
{
    [Id(0)] public OrgDefinition? Definition { get; set; }
    [Id(1)] public SortedSet<string> Environments { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The budget registry as kept before it had a table of its own (<see cref="BudgetRegistryStore"/>): read once, moved there, emptied.</summary>
    [Id(2)] public SortedDictionary<string, BudgetPolicy> Budgets { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Increases with every change of the org's settings (fail mode), across restarts; before the registry had a table of its own, with every budget change too.</summary>
    [Id(3)] public long SettingsVersion { get; set; }
    /// <summary>Before the registry table: budgets whose grain may not yet have the policy in <see cref="Budgets"/>.</summary>
    [Id(4)] public SortedSet<string> PendingBudgets { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Before the registry table: budgets removed from the registry whose grain may not yet be deleted.</summary>
    [Id(5)] public SortedSet<string> DeletingBudgets { get; set; } = new(StringComparer.Ordinal);
    /// <summary>True once the org is in the <see cref="OrgDirectoryGrain"/>; false for one stored before the directory existed.</summary>
    [Id(6)] public bool Listed { get; set; }
    /// <summary>When the org was first created; null for one stored before this was recorded. Its statements start with that month.</summary>
    [Id(7)] public DateTimeOffset? CreatedAt { get; set; }
    /// <summary>Environments of this org since deleted: the ledger keeps their usage, and statements count it.</summary>
    [Id(8)] public SortedSet<string> FormerEnvironments { get; set; } = new(StringComparer.Ordinal);
}
