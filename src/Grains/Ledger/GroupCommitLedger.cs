using System.Collections.Immutable;
using System.Data.Common;
using System.Threading.Channels;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// Group commit for a ledger store: appends queue in a channel, and one writer task takes every
/// append waiting (up to <see cref="MaxRowsPerCommit"/> rows) into one transaction and one
/// commit, so ingest is not capped at one commit per batch. Each append of a group runs under a
/// savepoint of its own: rows the store refuses (a constraint, a value it cannot hold) roll back
/// to it and fail only that append, with <see cref="LedgerUnavailableException"/>, while the rest
/// of the group commits. A failed commit, or a transaction lost otherwise, fails every append of
/// its group the same way, and the writer reopens its connection for the next group; nothing
/// ends the writer but disposal.
/// <para>
/// The usage rollups are folded from the committed rows by a background loop
/// (<see cref="FoldAsync"/>, every <c>foldInterval</c>), not in the group's transaction: a store
/// records how far its rollups go (a commit position), and a usage view adds the rows after it, so
/// it is exactly the ledger whether they are folded yet or not (DESIGN.md: coarser rows are derived).
/// </para>
/// </summary>
public abstract class GroupCommitLedger : IUsageLedger, IAsyncDisposable
{
    private const int MaxRowsPerCommit = 20_000;

    private static readonly TimeSpan FoldPoll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxFoldBackoff = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _foldInterval;
    private readonly CancellationTokenSource _stopFolding = new();
    private Task? _foldLoop;

    /// <param name="foldInterval">
    /// How long committed rows wait at most to be folded; <see cref="Timeout.InfiniteTimeSpan"/>
    /// folds only when <see cref="FoldAsync"/> is called (tests, and benchmarks measuring ingest
    /// without the fold). Each fold writes every rollup row its rows touch once, so folding rarely
    /// is what makes it cheap at high key cardinality; rows not folded yet are read by views from
    /// the ledger (or from what the store holds in memory).
    /// </param>
    /// <param name="eagerFoldRows">As many rows not folded yet as make the loop fold before the interval is up.</param>
    protected GroupCommitLedger(TimeSpan foldInterval, long eagerFoldRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(eagerFoldRows);
        EagerFoldRows = eagerFoldRows;
        _foldInterval = foldInterval;
        if (_foldInterval <= TimeSpan.Zero && _foldInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(foldInterval), foldInterval, "The fold interval must be positive or infinite.");
        }
    }

    /// <summary>As many rows not folded yet as make the fold loop fold at once.</summary>
    protected long EagerFoldRows { get; }

    /// <summary>Whether the fold loop runs (false: the rollups are folded only when <see cref="FoldAsync"/> is called).</summary>
    protected bool FoldsByItself => _foldInterval != Timeout.InfiniteTimeSpan;

    /// <summary>The last fold's failure, null once a fold has succeeded since: views stay exact meanwhile, only slower.</summary>
    public Exception? LastFoldError { get; private set; }

    private readonly Channel<PendingAppend> _pending = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true });
    private Task? _writer;
    private int _queued;

    public Task<bool[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.FromResult(Array.Empty<bool>());
        }

        var pending = new PendingAppend(entries);
        Interlocked.Increment(ref _queued);
        if (!_pending.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(GetType().FullName);
        }

        if (_writer is null)
        {
            lock (_pending)
            {
                _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        StartFolding();
        return pending.Completion.Task;
    }

    /// <summary>
    /// Folds every row committed so far into the rollups, in transactions of a bounded number of
    /// rows, and answers how many it folded. Safe to call from several processes on one store: each
    /// fold moves the stored position on from where the store says it is, under the store's lock.
    /// </summary>
    public abstract Task<long> FoldAsync(CancellationToken cancellationToken = default);

    /// <summary>How many committed rows are not folded yet (a cheap count for the fold loop).</summary>
    public abstract Task<long> UnfoldedRowsAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts the fold loop (once; a read starts it too, so a process that only reads still folds what others wrote).</summary>
    protected void StartFolding()
    {
        if (_foldLoop is not null || !FoldsByItself)
        {
            return;
        }

        lock (_stopFolding)
        {
            if (_foldLoop is null && !_stopFolding.IsCancellationRequested)
            {
                _foldLoop = Task.Run(() => FoldLoopAsync(_stopFolding.Token), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Polls every second (or every interval, if shorter) and folds when rows have waited an
    /// interval since the last fold or <see cref="EagerFoldRows"/> are waiting; after a failure it
    /// waits twice as long each time, up to 30 s.
    /// </summary>
    private async Task FoldLoopAsync(CancellationToken stop)
    {
        var poll = _foldInterval < FoldPoll ? _foldInterval : FoldPoll;
        var (wait, backoff) = (poll, poll);
        var sinceFold = System.Diagnostics.Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, stop);
                wait = poll;
                await AbsorbAsync(stop);
                var unfolded = await UnfoldedRowsAsync(stop);
                if (unfolded == 0 || (!FoldDue && unfolded < EagerFoldRows && sinceFold.Elapsed < _foldInterval))
                {
                    continue;
                }

                await FoldAsync(stop);
                sinceFold.Restart();
                LastFoldError = null;
                backoff = poll;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows stay in the ledger, and views read them from there until a fold succeeds.
                LastFoldError = ex;
                LedgerMetrics.FoldFailed();
                backoff = TimeSpan.FromTicks(Math.Min(MaxFoldBackoff.Ticks, backoff.Ticks * 2));
                wait = backoff;
            }
        }
    }

    /// <summary>
    /// Appends queued for the writer and not yet taken into a group: the ledger's backlog. Whatever
    /// is queued while the writer commits goes into its next group together.
    /// </summary>
    public int QueuedAppends => Volatile.Read(ref _queued);

    public abstract Task<IReadOnlyList<LedgerEntry>> ReadGatewayAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<AttributionRow>> ReadGatewayAttributionsAsync(
        string environmentId, string dpId, long afterSequence, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<AttributionRow>> ReadBudgetAttributionsAsync(
        string budgetId, DateTimeOffset periodsFrom, CancellationToken cancellationToken = default);

    public abstract Task<decimal> SumBudgetPeriodAsync(string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);

    public abstract Task<(long Events, decimal SpendUsd)> SumGatewayAsync(string environmentId, string dpId, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(RollupQuery query, CancellationToken cancellationToken = default);

    public abstract Task ProbeWriteAsync(CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<TokenSums>> SumTokensAsync(
        IReadOnlyList<string> environmentIds, DateTimeOffset occurredFrom, DateTimeOffset occurredBefore, CancellationToken cancellationToken = default);

    public abstract Task<ExportPage> ReadEventsAsync(
        ImmutableArray<string> environmentIds, CommitPosition after, int limit, CancellationToken cancellationToken = default);

    public abstract Task<ScopeSpend> SumScopeAsync(
        RollupQuery scope, string budgetId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer;
        }

        lock (_stopFolding)
        {
            _stopFolding.Cancel();
        }

        if (_foldLoop is not null)
        {
            await _foldLoop;
            await FoldOnDisposeAsync();
        }

        _stopFolding.Dispose();
        await DisposeFoldingAsync();
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

    /// <summary>
    /// A ledger that folded by itself stores what it holds before it goes (at most 30 s), so that
    /// the next reader finds it in the rollups; should that fail, the rows are folded from the
    /// ledger later, by whoever folds next.
    /// </summary>
    private async Task FoldOnDisposeAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await FoldAsync(limit.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LastFoldError = ex;
            LedgerMetrics.FoldFailed();
        }
    }

    /// <summary>Whether the store wants to fold now, whatever the interval (it holds as much as one fold should write).</summary>
    protected virtual bool FoldDue => false;

    /// <summary>Called by the fold loop at every poll: a store may sum what it was handed meanwhile.</summary>
    protected virtual Task AbsorbAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Releases what <see cref="FoldAsync"/> keeps between folds, once the loop has stopped.</summary>
    protected virtual ValueTask DisposeFoldingAsync() => ValueTask.CompletedTask;

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
                Interlocked.Decrement(ref _queued);
                group.Add(next);
                rows += next.Entries.Count;
            }

            var outcomes = new Appended[group.Count];
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                committer ??= await OpenCommitterAsync();
                await committer.BeginAsync(group.Select(p => p.Entries).ToList());
                for (var i = 0; i < group.Count; i++)
                {
                    outcomes[i] = await committer.AppendAsync(group[i].Entries);
                }

                await committer.CommitAsync();
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

            var (inserted, duplicates, refused) = (0, 0, 0);
            for (var i = 0; i < group.Count; i++)
            {
                if (outcomes[i].Inserted is { } isNew)
                {
                    var added = isNew.Count(x => x);
                    inserted += added;
                    duplicates += isNew.Length - added;
                    group[i].Completion.TrySetResult(isNew);
                }
                else
                {
                    refused += group[i].Entries.Count;
                    group[i].Completion.TrySetException(
                        new LedgerUnavailableException("The usage ledger refused this batch's rows.", outcomes[i].Refusal!));
                }
            }

            if (refused > 0)
            {
                LedgerMetrics.Failed(refused);
            }

            LedgerMetrics.Committed(group.Count, inserted, duplicates, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        if (committer is not null)
        {
            await committer.DisposeAsync();
        }
    }

    /// <summary>
    /// A store's write connection: a group's transaction, with a savepoint per append. Anything it
    /// throws means the transaction is lost, and the writer fails the whole group.
    /// </summary>
    protected interface ICommitter : IAsyncDisposable
    {
        /// <summary>Begins the transaction of a group whose appends follow (the batches let a store prepare for their rows).</summary>
        Task BeginAsync(IReadOnlyList<IReadOnlyList<LedgerEntry>> batches);

        /// <summary>
        /// Inserts one append's rows, and the attributions of the new ones, under a savepoint of its
        /// own. When the store refuses them it rolls back to that savepoint, which leaves the
        /// transaction as it was before this append, and returns the refusal.
        /// </summary>
        Task<Appended> AppendAsync(IReadOnlyList<LedgerEntry> entries);

        /// <summary>Commits every append that was not refused.</summary>
        Task CommitAsync();
    }

    /// <summary>What became of one append in its group: per row whether it was new, or why the store refused its rows.</summary>
    protected readonly record struct Appended(bool[]? Inserted, Exception? Refusal)
    {
        public static Appended Stored(bool[] inserted) => new(inserted, null);

        public static Appended Refused(Exception refusal) => new(null, refusal);
    }

    private sealed record PendingAppend(IReadOnlyList<LedgerEntry> Entries)
    {
        public TaskCompletionSource<bool[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
