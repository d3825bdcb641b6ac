using System.Diagnostics.Metrics;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>Ingest counters and latencies of the data plane, on the <see cref="MeterName"/> meter.</summary>
public sealed class IngressMetrics : IDisposable
{
    public const string MeterName = "BudgetCluster.Ingress";

    private readonly Meter _meter;
    private readonly Counter<long> _events;
    private readonly Counter<long> _unavailable;
    private readonly Histogram<double> _ingestDuration;

    public IngressMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        _events = _meter.CreateCounter<long>(
            "budgetcluster.telemetry.events", "{event}", "Telemetry events by outcome: accepted, duplicate, rejected.");
        _unavailable = _meter.CreateCounter<long>(
            "budgetcluster.telemetry.unavailable", "{batch}", "Telemetry batches answered 503 (nothing acknowledged).");
        _ingestDuration = _meter.CreateHistogram<double>(
            "budgetcluster.telemetry.ingest.duration", "ms", "Time from a parsed batch to its durable acknowledgement.");
    }

    public void Recorded(int accepted, int duplicates, int rejected, TimeSpan duration)
    {
        _events.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        _events.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        _events.Add(rejected, new KeyValuePair<string, object?>("outcome", "rejected"));
        _ingestDuration.Record(duration.TotalMilliseconds);
    }

    public void Unavailable() => _unavailable.Add(1);

    public void Dispose() => _meter.Dispose();
}
