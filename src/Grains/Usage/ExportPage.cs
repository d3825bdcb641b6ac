using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// A page of the export (API.md §7): rows in commit order after a cursor, the cursor to ask from
/// next (the last row's position, or the given one when there was none) and whether more rows were
/// readable at once.
/// </summary>
public sealed record ExportPage(IReadOnlyList<LedgerEntry> Events, CommitPosition Next, bool HasMore);

/// <summary>
/// A budget scope's spend in one period summed two ways in one snapshot of the ledger: over the
/// rollups (every stored event of the scope) and over the budget's attributions (the events the
/// gateways routed to it). Their difference is what the budget has not been sent as deltas.
/// </summary>
public readonly record struct ScopeSpend(decimal InScopeUsd, decimal AttributedUsd);
