namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// One transaction of an organization's registry: the row of the change being made, if any, and
/// the outcomes of earlier changes, which are written with the next change instead of on their own
/// (a crash before leaves them pending or deleting, which the org completes again, idempotently).
/// </summary>
/// <param name="IndexVersion">The org's budget index version from now on; never lower than the stored one.</param>
/// <param name="Row">The change's row (a pending or deleting budget), replacing any row of that budget.</param>
/// <param name="Defined">Budgets whose grain took their policy: pending rows that become defined.</param>
/// <param name="Deleted">Budgets whose grain was deleted: deleting rows that go.</param>
public sealed record RegistryWrite(
    long IndexVersion,
    RegistryRow? Row,
    IReadOnlyCollection<string> Defined,
    IReadOnlyCollection<string> Deleted);
