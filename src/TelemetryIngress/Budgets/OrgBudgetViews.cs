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
                view.Load(status);
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

    [LoggerMessage(2301, LogLevel.Information, "Budget view of org {OrgId} loaded with {Count} budgets")]
    private static partial void LogOrgLoaded(ILogger logger, string orgId, int count);
}
