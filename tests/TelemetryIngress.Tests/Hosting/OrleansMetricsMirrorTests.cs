using System.Diagnostics.Metrics;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TelemetryIngress.Tests.Hosting;

public sealed class OrleansMetricsMirrorTests
{
    [Theory]
    [InlineData("MessageDirection", "message_direction")]
    [InlineData("QueueId", "queue_id")]
    [InlineData("status", "status")]
    [InlineData("already_snake", "already_snake")]
    public void LabelKeys_BecomeSnakeCase(string key, string expected) =>
        Assert.Equal(expected, OrleansMetricsMirror.SnakeCase(key));

    [Fact]
    public async Task MillisecondHistogramsAndMegabyteGauges_AreRecordedAgainInSecondsAndBytes_WithSnakeCaseLabels()
    {
        // A meter of Orleans' name: the mirror takes whatever that meter records, ours included.
        using var orleans = new Meter(OrleansMetricsMirror.OrleansMeter);
        var latency = orleans.CreateHistogram<long>("test-mirror-latency-" + Guid.NewGuid().ToString("N"), "ms");
        var memory = orleans.CreateObservableGauge("test-mirror-memory-" + Guid.NewGuid().ToString("N"), () => 3L, "MB");
        using var mirror = new OrleansMetricsMirror();
        await mirror.StartAsync(CancellationToken.None);
        var seen = new List<(string Name, string? Unit, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == OrleansMetricsMirror.MeterName && (instrument.Name == latency.Name || instrument.Name == memory.Name))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            lock (seen)
            {
                seen.Add((instrument.Name, instrument.Unit, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
            }
        });
        listener.Start();

        latency.Record(1500, new KeyValuePair<string, object?>("MessageDirection", "Request"));
        listener.RecordObservableInstruments();

        Assert.Contains((latency.Name, "s", 1.5, "message_direction=Request"), seen);
        Assert.Contains((memory.Name, "By", 3.0 * 1024 * 1024, ""), seen);
    }
}
