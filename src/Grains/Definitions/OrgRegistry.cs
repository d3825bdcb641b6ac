using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// An org grain's copy of its budget registry and the writes that keep <see cref="BudgetRegistryStore"/>
/// in step with it: one row per change, whatever the org's size. A change is applied here and then
/// written; when the write fails, the caller ends the activation (memory holds what was not stored).
/// What <see cref="MarkDefined"/> and <see cref="MarkDeleted"/> record is written by the next write
/// or <see cref="FlushAsync"/>: the org grain flushes a definition at once (a pending budget stays
/// out of the index a new activation builds), and lets a deletion's outcome wait for the next
/// change (until then its row says deleting, and a new activation deletes again, idempotently).
/// </summary>
internal sealed class OrgRegistry(BudgetRegistryStore store, string orgId)
{
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);

    /// <summary>Every budget of the org with its policy, pending ones included.</summary>
    public SortedDictionary<string, BudgetPolicy> Budgets { get; } = new(StringComparer.Ordinal);

    /// <summary>Budgets whose grain may not have the policy in <see cref="Budgets"/> yet.</summary>
    public SortedSet<string> Pending { get; } = new(StringComparer.Ordinal);

    /// <summary>Budgets out of the registry whose grain may not be deleted yet.</summary>
    public SortedSet<string> Deleting { get; } = new(StringComparer.Ordinal);

    /// <summary>The budget index version as stored: every change raises it.</summary>
    public long IndexVersion { get; private set; }

    /// <summary>
    /// Loads the registry; a registry kept in the org's state before the table existed
    /// (<paramref name="legacy"/>) is stored as rows first. Returns true when it did that, so the
    /// caller can drop it from the state.
    /// </summary>
    public async Task<bool> LoadAsync(OrgState legacy)
    {
        var imported = legacy.Budgets.Count > 0 || legacy.PendingBudgets.Count > 0 || legacy.DeletingBudgets.Count > 0;
        if (imported)
        {
            var rows = legacy.Budgets
                .Select(pair => new RegistryRow(pair.Key, legacy.PendingBudgets.Contains(pair.Key) ? RegistryStatus.Pending : RegistryStatus.Defined, pair.Value))
                .Concat(legacy.DeletingBudgets.Select(id => new RegistryRow(id, RegistryStatus.Deleting, null)))
                .ToList();
            await store.ImportAsync(orgId, legacy.SettingsVersion, rows);
        }

        var (stored, version) = await store.LoadAsync(orgId);
        foreach (var row in stored)
        {
            if (row.Status == RegistryStatus.Deleting)
            {
                Deleting.Add(row.BudgetId);
                continue;
            }

            Budgets[row.BudgetId] = row.Policy!;
            if (row.Status == RegistryStatus.Pending)
            {
                Pending.Add(row.BudgetId);
            }
        }

        IndexVersion = version;
        return imported;
    }

    /// <summary>Stores <paramref name="policy"/> as the budget's, pending until <see cref="MarkDefined"/>.</summary>
    public Task StorePendingAsync(string budgetId, BudgetPolicy policy)
    {
        Budgets[budgetId] = policy;
        Pending.Add(budgetId);
        Deleting.Remove(budgetId);
        _defined.Remove(budgetId);
        _deleted.Remove(budgetId);
        return WriteAsync(new RegistryRow(budgetId, RegistryStatus.Pending, policy));
    }

    /// <summary>Takes the budget out of the registry, deleting until <see cref="MarkDeleted"/>.</summary>
    public Task StoreDeletingAsync(string budgetId)
    {
        Budgets.Remove(budgetId);
        Pending.Remove(budgetId);
        Deleting.Add(budgetId);
        _defined.Remove(budgetId);
        _deleted.Remove(budgetId);
        return WriteAsync(new RegistryRow(budgetId, RegistryStatus.Deleting, null));
    }

    /// <summary>The budget grain has the policy; stored with the next write.</summary>
    public void MarkDefined(string budgetId)
    {
        if (Pending.Remove(budgetId))
        {
            _defined.Add(budgetId);
        }
    }

    /// <summary>The budget grain is deleted; stored with the next write.</summary>
    public void MarkDeleted(string budgetId)
    {
        if (Deleting.Remove(budgetId))
        {
            _deleted.Add(budgetId);
        }
    }

    /// <summary>Raises the index version and stores it with what <see cref="MarkDefined"/> and <see cref="MarkDeleted"/> recorded.</summary>
    public Task StoreNewVersionAsync() => WriteAsync(null);

    /// <summary>Stores what <see cref="MarkDefined"/> and <see cref="MarkDeleted"/> recorded, if anything.</summary>
    public Task FlushAsync() => _defined.Count == 0 && _deleted.Count == 0 ? Task.CompletedTask : WriteAsync(null, raise: false);

    private async Task WriteAsync(RegistryRow? row, bool raise = true)
    {
        IndexVersion += raise ? 1 : 0;
        var defined = _defined.ToList();
        var deleted = _deleted.ToList();
        await store.WriteAsync(orgId, new RegistryWrite(IndexVersion, row, defined, deleted));
        _defined.ExceptWith(defined);
        _deleted.ExceptWith(deleted);
    }
}
