using System.Data.Common;
using System.Threading.Channels;
using BudgetCluster.Grains.Abstractions.Gateways;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// Group commit for a ledger store: appends queue in a channel, and one writer task takes every
/// append waiting (up to <see cref="MaxRowsPerCommit"/> rows) into one transaction and one
/// commit, so ingest is not capped at one commit per batch. A failed commit fails every append
/// of its group with <see cref="LedgerUnavailableException"/>, and the writer reopens its
/// connection for the next group; nothing ends the writer but disposal.
/// </summary>
public abstract class GroupCommitLedger : IUsageLedger, IAsyncDisposable
{
    private const int MaxRowsPerCommit = 20_000;

    private readonly Channel<PendingAppend> _pending = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true });
    private Task? _writer;

    public Task<bool[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.FromResult(Array.Empty<bool>());
        }

        var pending = new PendingAppend(entries);
        ObjectDisposedException.ThrowIf(!_pending.Writer.TryWrite(pending), this);
        if (_writer is null)
        {
            lock (_pending)
            {
                _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        return pending.Completion.Task;
    }

    public abstract Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default);

    public abstract Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);

    public abstract Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default);

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Runs a query with its parameters and reads every row.</summary>
    protected static async Task<IReadOnlyList<T>> ReadAllAsync<T>(
        DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(read);
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Opens the store's write connection.</summary>
    protected abstract Task<ICommitter> OpenCommitterAsync();

    private async Task WriteLoopAsync()
    {
        ICommitter? committer = null;
        var group = new List<PendingAppend>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            group.Clear();
            var rows = 0;
            while (rows < MaxRowsPerCommit && _pending.Reader.TryRead(out var next))
            {
                group.Add(next);
                rows += next.Entries.Count;
            }

            bool[][] results;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                committer ??= await OpenCommitterAsync();
                results = await committer.CommitAsync(group.Select(p => p.Entries).ToList());
            }
            catch (Exception ex)
            {
                // Whatever failed, this group is not durable, and the writer must live on for the next one.
                // The connection may be unusable (disk full, server gone): reopen it for the next group.
                if (committer is not null)
                {
                    await committer.DisposeAsync();
                }

                committer = null;
                LedgerMetrics.Failed(rows);
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(new LedgerUnavailableException("The usage ledger could not commit.", ex));
                }

                continue;
            }

            var inserted = results.Sum(r => r.Count(isNew => isNew));
            LedgerMetrics.Committed(group.Count, inserted, rows - inserted, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(results[i]);
            }
        }

        if (committer is not null)
        {
            await committer.DisposeAsync();
        }
    }

    /// <summary>A store's write connection: commits a group of appends in one transaction.</summary>
    protected interface ICommitter : IAsyncDisposable
    {
        /// <summary>Inserts every batch's rows (and attributions of the new ones) in one transaction; per row, whether it was new.</summary>
        Task<bool[][]> CommitAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches);
    }

    private sealed record PendingAppend(IReadOnlyList<LedgerEntry> Entries)
    {
        public TaskCompletionSource<bool[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
