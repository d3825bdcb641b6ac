using System.Diagnostics;
using BudgetCluster.Grains.Abstractions.Budgets;
using Orleans.Streams;
using System.Threading.Channels;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// This process's view of one organization's budgets, kept current by the org's budget stream:
/// the latest status of every budget, and a short log of recent transitions for SSE resumption.
/// A deleted budget leaves a tombstone with the version of its deletion: a status of that version
/// or older (an initial load that read it before the deletion, a telemetry batch answer still on
/// its way) never brings it back, while a re-definition, which carries a higher version, does.
/// Stream callbacks and readers run on different threads, so everything goes through one lock.
/// </summary>
internal sealed class OrgBudgetView : IAsyncObserver<BudgetEvent>
{
    private const int LogCapacity = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, BudgetStatus> _budgets = new(StringComparer.Ordinal);
    // The same statuses by scope: a check looks up its key's five scopes instead of scanning every budget.
    private readonly Dictionary<(ScopeType Type, string Ref), Dictionary<string, BudgetStatus>> _byScope = [];
    // Budget id → version of its deletion. Kept for the life of the view: one entry per deletion is
    // small, and no later arrival can be known to be the last old one.
    private readonly Dictionary<string, long> _tombstones = new(StringComparer.Ordinal);
    // Per budget, the version of the last transition told to subscribers.
    private readonly Dictionary<string, long> _lastTransition = new(StringComparer.Ordinal);
    // Per budget, the version up to which its grain (or the initial load) has answered for its transitions.
    private readonly Dictionary<string, long> _verified = new(StringComparer.Ordinal);
    // Budgets whose status showed a version past both, and since when (timestamp): see DueForCatchUp.
    private readonly Dictionary<string, (long Version, long Since)> _unverified = new(StringComparer.Ordinal);
    private readonly Queue<(long Sequence, BudgetEvent Event)> _log = new();
    private readonly List<Channel<(long Sequence, BudgetEvent Event)>> _subscribers = [];
    private readonly Func<long> _nextSequence;
    private readonly Action<DateTimeOffset>? _transitionArrived;

    /// <param name="orgId">The organization whose budgets this view holds.</param>
    /// <param name="nextSequence">Numbers transitions for SSE ids, across this process's views.</param>
    /// <param name="transitionArrived">Told when each transition was stored, as it arrives (the propagation lag).</param>
    public OrgBudgetView(string orgId, Func<long> nextSequence, Action<DateTimeOffset>? transitionArrived = null)
    {
        OrgId = orgId;
        _nextSequence = nextSequence;
        _transitionArrived = transitionArrived;
    }

    public string OrgId { get; }

    public StreamSubscriptionHandle<BudgetEvent>? Subscription { get; set; }

    /// <summary>Adopts a status fetched from a budget grain (the initial load): the snapshot stands for its transitions.</summary>
    public void Load(BudgetStatus status)
    {
        lock (_gate)
        {
            Adopt(status);
            _verified[status.BudgetId] = Math.Max(status.Version, _verified.GetValueOrDefault(status.BudgetId));
        }
    }

    /// <summary>
    /// Adopts a status learnt outside the stream (a telemetry answer) and, when it is ahead of the
    /// last transition this view told, marks the budget for <see cref="DueForCatchUp"/>.
    /// </summary>
    public void Observe(BudgetStatus status)
    {
        lock (_gate)
        {
            Adopt(status);
            MarkIfAhead(status);
        }
    }

    /// <summary>
    /// Budgets marked at least <paramref name="age"/> ago whose transitions the stream has still not brought, each with the last version told: ask
    /// the budget grain for what came after and give it to <see cref="OnNextAsync"/>. A budget the
    /// stream caught up with meanwhile is dropped from the marks.
    /// </summary>
    public List<(string BudgetId, long After, long UpTo)> DueForCatchUp(TimeSpan age)
    {
        var due = new List<(string, long, long)>();
        lock (_gate)
        {
            foreach (var (budgetId, (version, since)) in _unverified.ToList())
            {
                var told = Math.Max(_lastTransition.GetValueOrDefault(budgetId), _verified.GetValueOrDefault(budgetId));
                if (told >= version || _tombstones.ContainsKey(budgetId))
                {
                    _unverified.Remove(budgetId);
                }
                else if (Stopwatch.GetElapsedTime(since) >= age)
                {
                    due.Add((budgetId, told, version));
                }
            }
        }

        return due;
    }

    /// <summary>The budget grain answered for everything up to <paramref name="version"/>.</summary>
    public void CaughtUp(string budgetId, long version)
    {
        lock (_gate)
        {
            _verified[budgetId] = Math.Max(version, _verified.GetValueOrDefault(budgetId));
            if (_unverified.TryGetValue(budgetId, out var mark) && mark.Version <= version)
            {
                _unverified.Remove(budgetId);
            }
        }
    }

    /// <summary>The budgets of these scopes (a null ref matches nothing).</summary>
    public List<BudgetStatus> BudgetsFor(IEnumerable<(ScopeType Type, string? Ref)> scopes)
    {
        var found = new List<BudgetStatus>();
        lock (_gate)
        {
            foreach (var (type, scopeRef) in scopes)
            {
                if (scopeRef is not null && _byScope.TryGetValue((type, scopeRef), out var budgets))
                {
                    found.AddRange(budgets.Values);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Subscribes to the transitions after <paramref name="afterSequence"/> when the log still holds
    /// them (resumption), else from now on with a snapshot of the current statuses.
    /// </summary>
    public ViewSubscription Subscribe(long? afterSequence)
    {
        var channel = Channel.CreateBounded<(long, BudgetEvent)>(new BoundedChannelOptions(LogCapacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
        lock (_gate)
        {
            _subscribers.Add(channel);
            var canResume = afterSequence is { } after && _log.Count > 0 && _log.Peek().Sequence <= after + 1;
            if (canResume)
            {
                foreach (var entry in _log.Where(e => e.Sequence > afterSequence))
                {
                    channel.Writer.TryWrite(entry);
                }

                return new ViewSubscription(this, channel, null, afterSequence!.Value);
            }

            var last = _log.Count > 0 ? _log.Last().Sequence : 0;
            return new ViewSubscription(this, channel, [.. _budgets.Values], last);
        }
    }

    public void Unsubscribe(Channel<(long, BudgetEvent)> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    public Task OnNextAsync(BudgetEvent item, StreamSequenceToken? token = null)
    {
        lock (_gate)
        {
            if (item.Kind == BudgetEventKind.Deleted)
            {
                Bury(item.Status);
            }
            else
            {
                Adopt(item.Status);
                if (item.Kind == BudgetEventKind.Status)
                {
                    MarkIfAhead(item.Status);
                }
            }

            // A budget sends a transition again when its publish failed, so one may come twice:
            // each transition has its own version, and subscribers are told it once.
            if (item.IsTransition && item.Status.Version > _lastTransition.GetValueOrDefault(item.Status.BudgetId))
            {
                _lastTransition[item.Status.BudgetId] = item.Status.Version;
                _transitionArrived?.Invoke(item.OccurredAt);
                var entry = (_nextSequence(), item);
                _log.Enqueue(entry);
                if (_log.Count > LogCapacity)
                {
                    _log.Dequeue();
                }

                foreach (var subscriber in _subscribers)
                {
                    // A client too slow to keep up is cut off rather than silently missing a
                    // transition: it reconnects and starts again from a snapshot.
                    if (!subscriber.Writer.TryWrite(entry))
                    {
                        subscriber.Writer.TryComplete();
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <summary>
    /// Keeps the status with the highest version; an equal version is a newer spend refresh. A status
    /// no newer than the budget's deletion is dropped; a newer one is a re-definition and lifts it.
    /// </summary>
    private void Adopt(BudgetStatus status)
    {
        if (_tombstones.TryGetValue(status.BudgetId, out var deletedAt))
        {
            if (status.Version <= deletedAt)
            {
                return;
            }

            _tombstones.Remove(status.BudgetId);
        }

        if (_budgets.TryGetValue(status.BudgetId, out var current))
        {
            if (status.Version < current.Version)
            {
                return;
            }

            Unindex(current);
        }

        _budgets[status.BudgetId] = status;
        var scope = (status.Policy.Scope.Type, status.Policy.Scope.Ref);
        if (!_byScope.TryGetValue(scope, out var budgets))
        {
            _byScope[scope] = budgets = new Dictionary<string, BudgetStatus>(StringComparer.Ordinal);
        }

        budgets[status.BudgetId] = status;
    }

    /// <summary>Marks a budget whose status is ahead of both its last told transition and what its grain last answered for.</summary>
    private void MarkIfAhead(BudgetStatus status)
    {
        var known = Math.Max(_lastTransition.GetValueOrDefault(status.BudgetId), _verified.GetValueOrDefault(status.BudgetId));
        if (status.Version > known && !(_unverified.TryGetValue(status.BudgetId, out var mark) && mark.Version >= status.Version))
        {
            _unverified[status.BudgetId] = (status.Version, mark.Version > 0 ? mark.Since : Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Removes a deleted budget and remembers its deletion, unless a newer re-definition is already here.</summary>
    private void Bury(BudgetStatus deleted)
    {
        if (_budgets.TryGetValue(deleted.BudgetId, out var current))
        {
            if (current.Version > deleted.Version)
            {
                return;
            }

            _budgets.Remove(deleted.BudgetId);
            Unindex(current);
        }

        _tombstones[deleted.BudgetId] = Math.Max(deleted.Version, _tombstones.GetValueOrDefault(deleted.BudgetId, long.MinValue));
    }

    private void Unindex(BudgetStatus status)
    {
        var scope = (status.Policy.Scope.Type, status.Policy.Scope.Ref);
        if (_byScope.TryGetValue(scope, out var budgets) && budgets.Remove(status.BudgetId) && budgets.Count == 0)
        {
            _byScope.Remove(scope);
        }
    }
}
