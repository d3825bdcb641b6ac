using System.Diagnostics.Metrics;
using BudgetCluster.Grains.Abstractions.Diagnostics;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// What a data plane process does, on the <see cref="MeterName"/> meter: ingest, decisions, and how
/// long budget transitions take to reach its views and its SSE streams.
/// </summary>
public sealed class IngressMetrics : IDisposable
{
    public const string MeterName = "BudgetCluster.Ingress";

    private readonly Meter _meter;
    private readonly Counter<long> _events;
    private readonly Counter<long> _unavailable;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _ackDuration;
    private readonly Histogram<double> _decisionDuration;
    private readonly Histogram<double> _propagationLag;
    private readonly UpDownCounter<long> _streams;

    public IngressMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _events = _meter.CreateCounter<long>(
            "budgetcluster.telemetry.events", "{event}", "Telemetry events by outcome (accepted, duplicate, rejected) and, for rejected ones, reason.");
        _unavailable = _meter.CreateCounter<long>(
            "budgetcluster.telemetry.unavailable", "{batch}", "Telemetry batches answered 503 (nothing acknowledged).");
        _batchSize = _meter.CreateHistogram(
            "budgetcluster.telemetry.batch.size", "{event}", "Events per telemetry batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 5, 10, 25, 50, 100, 250, 500, 1000] });
        _ackDuration = _meter.CreateHistogram(
            "budgetcluster.telemetry.ack.duration", "s", "Time from a parsed batch to its durable acknowledgement.",
            advice: DurationHistogram.Seconds);
        _decisionDuration = _meter.CreateHistogram(
            "budgetcluster.budget_check.duration", "s", "Server time of a budget_check answer, by decision (allow, deny).",
            advice: DurationHistogram.Seconds);
        _propagationLag = _meter.CreateHistogram(
            "budgetcluster.budget.propagation.lag", "s",
            "Time from a budget transition stored to its arrival, by stage: view (adopted by this process's decisions) or sse (written to a gateway's stream).",
            advice: DurationHistogram.Seconds);
        _streams = _meter.CreateUpDownCounter<long>(
            "budgetcluster.budget_events.streams", "{stream}", "budget_events (SSE) streams open on this process.");
    }

    public void Recorded(int accepted, int duplicates, IEnumerable<KeyValuePair<string, int>> rejectedByReason, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(rejectedByReason);
        var total = accepted + duplicates;
        _events.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        _events.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        foreach (var (reason, count) in rejectedByReason)
        {
            total += count;
            _events.Add(count, new KeyValuePair<string, object?>("outcome", "rejected"), new KeyValuePair<string, object?>("reason", reason));
        }

        _batchSize.Record(total);
        _ackDuration.Record(duration.TotalSeconds);
    }

    public void Unavailable() => _unavailable.Add(1);

    public void Decided(bool allow, TimeSpan duration) =>
        _decisionDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("decision", allow ? "allow" : "deny"));

    /// <summary>A transition stored at <paramref name="storedAt"/> arrived at <paramref name="stage"/> (<c>view</c> or <c>sse</c>) at <paramref name="now"/>.</summary>
    public void Propagated(string stage, DateTimeOffset storedAt, DateTimeOffset now) =>
        _propagationLag.Record(Math.Max(0, (now - storedAt).TotalSeconds), new KeyValuePair<string, object?>("stage", stage));

    public void StreamOpened() => _streams.Add(1);

    public void StreamClosed() => _streams.Add(-1);

    public void Dispose() => _meter.Dispose();
}
