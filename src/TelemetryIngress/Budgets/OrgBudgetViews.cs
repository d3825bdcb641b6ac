using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// This process's <see cref="OrgBudgetView"/> of each organization it has answered for. The first
/// use of an org subscribes to its budget stream and then reads every budget's status once; from
/// then on the stream keeps the view current. A check never calls a budget grain.
/// </summary>
public sealed partial class OrgBudgetViews
{
    private readonly IClusterClient _client;
    private readonly IngressMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<OrgBudgetViews> _logger;
    private readonly KeyedLoader<OrgBudgetView> _views;
    private long _sequence;

    public OrgBudgetViews(IClusterClient client, IngressMetrics metrics, TimeProvider time, ILogger<OrgBudgetViews> logger)
    {
        _client = client;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _views = new KeyedLoader<OrgBudgetView>(LoadAsync);
    }

    /// <summary>Identifies this process in SSE event ids: a resumption id from another process means a new snapshot.</summary>
    internal string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    internal Task<OrgBudgetView> GetAsync(string orgId) => _views.GetAsync(orgId);

    /// <summary>
    /// Takes budget statuses that a telemetry batch of this process just changed (persisted and
    /// published before the batch was acknowledged) into the views at once, so this process denies
    /// from the acknowledgement on instead of when the org's stream delivers the transition a few
    /// milliseconds later. The stream still brings the transitions themselves (and the SSE pushes);
    /// a view keeps the higher version of a budget's two arrivals, and never a deleted budget's.
    /// </summary>
    internal void Observe(IEnumerable<BudgetStatus> statuses)
    {
        foreach (var status in statuses)
        {
            if (_views.TryGetLoaded(status.Policy.OrgId, out var view))
            {
                view.Observe(status);
            }
        }
    }

    /// <summary>
    /// Gives every loaded view the transitions its stream has not brought a second after a status
    /// showed their version, asked of their budget grains (<see cref="IBudgetGrain.GetTransitionsAfterAsync"/>).
    /// A memory stream queue drops what it holds when Orleans moves it off a silo that died; this
    /// is how the SSE streams of this process still tell every transition. A failed ask is asked again next time.
    /// </summary>
    internal async Task CatchUpAsync()
    {
        foreach (var (orgId, view) in _views.Loaded())
        {
            foreach (var (budgetId, after, upTo) in view.DueForCatchUp(CatchUpAfter))
            {
                try
                {
                    var missed = await _client.GetGrain<IBudgetGrain>(budgetId).GetTransitionsAfterAsync(after);
                    foreach (var item in missed)
                    {
                        LogCaughtUp(_logger, orgId, budgetId, item.Kind, item.Status.Version);
                        await view.OnNextAsync(item);
                    }

                    view.CaughtUp(budgetId, Math.Max(upTo, missed.IsEmpty ? after : missed[^1].Status.Version));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogCatchUpFailed(_logger, ex, orgId, budgetId);
                }
            }
        }
    }

    private long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>Subscribes first, then reads every budget's status, so no transition falls between the two.</summary>
    private async Task<OrgBudgetView> LoadAsync(string orgId)
    {
        var view = new OrgBudgetView(orgId, NextSequence, storedAt => _metrics.Propagated("view", storedAt, _time.GetUtcNow()));
        var stream = _client.GetStreamProvider(BudgetStreams.Provider)
            .GetStream<BudgetEvent>(StreamId.Create(BudgetStreams.Namespace, orgId));
        view.Subscription = await stream.SubscribeAsync(view);
        var budgets = await _client.GetGrain<IOrgGrain>(orgId).ListBudgetsAsync();
        var statuses = await Task.WhenAll(budgets.Select(b => _client.GetGrain<IBudgetGrain>(b.BudgetId).GetBudgetStatusAsync()));
        foreach (var status in statuses)
        {
            if (status is not null)
            {
                view.Load(status);
            }
        }

        LogOrgLoaded(_logger, orgId, budgets.Length);
        return view;
    }

    /// <summary>How long a view waits for its stream before it asks a budget grain for a transition.</summary>
    internal static readonly TimeSpan CatchUpAfter = TimeSpan.FromSeconds(1);

    [LoggerMessage(2304, LogLevel.Warning, "Budget {BudgetId} of org {OrgId}: transition {Kind} v{Version} never came on the stream; taken from the budget")]
    private static partial void LogCaughtUp(ILogger logger, string orgId, string budgetId, BudgetEventKind kind, long version);

    [LoggerMessage(2305, LogLevel.Warning, "Budget {BudgetId} of org {OrgId}: could not ask for missed transitions; asking again")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception, string orgId, string budgetId);

    [LoggerMessage(2301, LogLevel.Information, "Budget view of org {OrgId} loaded with {Count} budgets")]
    private static partial void LogOrgLoaded(ILogger logger, string orgId, int count);
}
