using System.Collections.Immutable;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// The append-only usage ledger: the durable record every total is derived from.
/// Deduplicates on (environment, request_id, attempt_index) over its whole content.
/// </summary>
public interface IUsageLedger
{
    /// <summary>
    /// Appends rows durably, with their budget attributions. The returned array says, per row, whether it was new (true) or
    /// already in the ledger (false). When it throws, the outcome is unknown: some or all rows
    /// may have been committed, so a caller must rebuild its view from the ledger.
    /// </summary>
    Task<bool[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>A gateway's attributions with a sequence above <paramref name="afterSequence"/>, in sequence order.</summary>
    Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>A budget's attributions to periods starting at or after <paramref name="periodsFrom"/>.</summary>
    Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default);

    /// <summary>The exact sum of a budget's attributed costs in the period starting at <paramref name="periodStart"/>.</summary>
    Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);

    /// <summary>How many rows a gateway has in the ledger and the exact sum of their costs.</summary>
    Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default);

    /// <summary>A gateway's rows with a sequence above <paramref name="afterSequence"/>, in sequence order.</summary>
    Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>
    /// The rollup rows that answer a usage view: rows of <see cref="RollupQuery.EnvironmentIds"/>
    /// matching its filters, each inside one bucket (hour rows only where the whole hour is in one,
    /// see <see cref="RollupPlan"/>), in no particular order.
    /// </summary>
    Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes and gives back what an append needs to write (SQLite: the file's write lock; PostgreSQL:
    /// a transaction id) without writing anything: whether the ledger could take an append now.
    /// Throws when it could not.
    /// </summary>
    Task ProbeWriteAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The events of the environments that occurred in [<paramref name="occurredFrom"/>, <paramref name="occurredBefore"/>),
    /// summed per model, price version and cache hit (<see cref="TokenSums"/>), in no particular order.
    /// Reads the ledger rows themselves: the rollups do not keep price versions.
    /// </summary>
    Task<IReadOnlyList<TokenSums>> SumTokensAsync(
        IReadOnlyList<string> environmentIds, DateTimeOffset occurredFrom, DateTimeOffset occurredBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> rows of the environments after <paramref name="after"/> in
    /// commit order, with their positions; never one that a transaction still running could
    /// precede (API.md §7).
    /// </summary>
    Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one snapshot: the spend of every stored event matching <paramref name="scope"/> (its
    /// boundaries are the period's start and end), and the sum of <paramref name="budgetId"/>'s
    /// attributions to the period starting at <paramref name="periodStart"/>.
    /// </summary>
    Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);
}
