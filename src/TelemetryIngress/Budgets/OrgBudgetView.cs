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

    /// <summary>Adopts a status fetched from a budget grain (the initial load).</summary>
    public void Load(BudgetStatus status)
    {
        lock (_gate)
        {
            Adopt(status);
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
