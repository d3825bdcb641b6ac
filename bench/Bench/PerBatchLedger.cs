using System.Collections.Immutable;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Bench;

/// <summary>
/// The baseline: the product's own ledger with batches taking turns, so every batch is its own
/// transaction and its own fsync, as in a ledger without group commit. Same schema, statements,
/// durability setting and code path; only the sharing of commits is taken away.
/// </summary>
internal sealed class PerBatchLedger(string connectionString) : IUsageLedger, IAsyncDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SqliteUsageLedger _ledger = new(connectionString);

    public async Task<bool[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            return await _ledger.AppendAsync(entries, cancellationToken);
        }
        finally
        {
            _turn.Release();
        }
    }

    public Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        _ledger.ReadGatewayAttributionsAsync(environmentId, dpId, afterSequence, cancellationToken);

    public Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default) =>
        _ledger.ReadBudgetAttributionsAsync(budgetId, periodsFrom, cancellationToken);

    public Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default) =>
        _ledger.ReadGatewayAsync(environmentId, dpId, afterSequence, cancellationToken);

    public Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default) =>
        _ledger.SumBudgetPeriodAsync(budgetId, periodStart, cancellationToken);

    public Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default) =>
        _ledger.SumGatewayAsync(environmentId, dpId, cancellationToken);

    public Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default) =>
        _ledger.ReadRollupsAsync(query, cancellationToken);

    public Task ProbeWriteAsync(CancellationToken cancellationToken = default) => _ledger.ProbeWriteAsync(cancellationToken);

    public Task<IReadOnlyList<TokenSums>> SumTokensAsync(
        IReadOnlyList<string> environmentIds, DateTimeOffset occurredFrom, DateTimeOffset occurredBefore, CancellationToken cancellationToken = default) =>
        _ledger.SumTokensAsync(environmentIds, occurredFrom, occurredBefore, cancellationToken);

    public Task<ExportPage> ReadEventsAsync(ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default) =>
        _ledger.ReadEventsAsync(environmentIds, after, limit, cancellationToken);

    public Task<ScopeSpend> SumScopeAsync(RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default) =>
        _ledger.SumScopeAsync(scope, budgetId, periodStart, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _ledger.DisposeAsync();
        _turn.Dispose();
    }
}
