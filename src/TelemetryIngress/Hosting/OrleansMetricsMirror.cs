using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using BudgetCluster.Grains.Abstractions.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Orleans' instruments (meter <c>Microsoft.Orleans</c>) recorded again on <see cref="MeterName"/>
/// under the same names, in the units and label spelling Prometheus and OpenTelemetry's conventions
/// ask for: milliseconds become seconds, megabytes bytes, <c>MessageDirection</c> becomes
/// <c>message_direction</c>, and an instrument without a description gets one. The originals are
/// left out of export (<see cref="PrometheusConventions"/>): OpenTelemetry views can rename and drop,
/// not rescale values or rename labels. Push instruments are forwarded as they are recorded;
/// observable ones are read from Orleans when the exporter reads the mirror.
/// </summary>
internal sealed class OrleansMetricsMirror : IHostedService, IDisposable
{
    public const string MeterName = "BudgetCluster.Orleans";

    internal const string OrleansMeter = "Microsoft.Orleans";

    private static readonly ConcurrentDictionary<string, string> SnakeKeys = new(StringComparer.Ordinal);

    private readonly Meter _meter = new(MeterName);
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    // Observable instruments' last readings, filled by one RecordObservableInstruments per collection.
    private readonly Dictionary<Instrument, List<Measurement<double>>> _readings = [];
    private long _lastRead;

    public OrleansMetricsMirror()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OrleansMeter)
            {
                // The mirror rides along as the measurements' state: no lookup per measurement.
                listener.EnableMeasurementEvents(instrument, Mirror(instrument));
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<float>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<short>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<byte>((instrument, value, tags, state) => Forward(instrument, value, tags, state));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    /// <summary><c>MessageDirection</c> → <c>message_direction</c>.</summary>
    internal static string SnakeCase(string key)
    {
        var snake = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsUpper(key[i]) && i > 0 && key[i - 1] != '_')
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(key[i]));
        }

        return snake.ToString();
    }

    private static double Scale(string? unit) => unit switch
    {
        "ms" => 0.001,
        "MB" => 1024 * 1024,
        _ => 1,
    };

    private static string? Unit(string? unit) => unit switch
    {
        "ms" => "s",
        "MB" => "By",
        _ => unit,
    };

    private object Mirror(Instrument instrument)
    {
        var name = instrument.Name;
        var unit = Unit(instrument.Unit);
        var description = string.IsNullOrEmpty(instrument.Description) ? $"Orleans runtime instrument {name}." : instrument.Description;
        var kind = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
        if (kind == typeof(Counter<>))
        {
            return _meter.CreateCounter<double>(name, unit, description);
        }

        if (kind == typeof(UpDownCounter<>))
        {
            return _meter.CreateUpDownCounter<double>(name, unit, description);
        }

        if (kind == typeof(Histogram<>))
        {
            return unit == "s"
                ? _meter.CreateHistogram(name, unit, description, advice: DurationHistogram.Seconds)
                : _meter.CreateHistogram<double>(name, unit, description);
        }

        if (kind == typeof(ObservableCounter<>))
        {
            return _meter.CreateObservableCounter(name, () => Read(instrument), unit, description);
        }

        if (kind == typeof(ObservableUpDownCounter<>))
        {
            return _meter.CreateObservableUpDownCounter(name, () => Read(instrument), unit, description);
        }

        return _meter.CreateObservableGauge(name, () => Read(instrument), unit, description);
    }

    private void Forward<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? mirror)
        where T : struct, IConvertible
    {
        var scaled = value.ToDouble(System.Globalization.CultureInfo.InvariantCulture) * Scale(instrument.Unit);
        var renamed = Tags(tags);
        switch (mirror)
        {
            case Counter<double> counter:
                counter.Add(scaled, in renamed);
                break;
            case UpDownCounter<double> upDown:
                upDown.Add(scaled, in renamed);
                break;
            case Histogram<double> histogram:
                histogram.Record(scaled, in renamed);
                break;
            default:
                // An observable instrument's reading, asked for by Read.
                lock (_gate)
                {
                    if (!_readings.TryGetValue(instrument, out var readings))
                    {
                        _readings[instrument] = readings = [];
                    }

                    readings.Add(new Measurement<double>(scaled, renamed));
                }

                break;
        }
    }

    /// <summary>
    /// The observable instrument's current values. One collection reads every mirror one after the
    /// other: the first read asks Orleans for all of its observable instruments at once, the rest reuse that.
    /// </summary>
    private IEnumerable<Measurement<double>> Read(Instrument instrument)
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (now - _lastRead > 500)
            {
                _readings.Clear();
                _lastRead = now;
                _listener.RecordObservableInstruments();
            }

            return _readings.TryGetValue(instrument, out var readings) ? [.. readings] : [];
        }
    }

    /// <summary>The same labels, snake_case; a <see cref="System.Diagnostics.TagList"/> holds up to 8 without allocating.</summary>
    private static System.Diagnostics.TagList Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var renamed = default(System.Diagnostics.TagList);
        foreach (var tag in tags)
        {
            renamed.Add(SnakeKeys.GetOrAdd(tag.Key, SnakeCase), tag.Value);
        }

        return renamed;
    }
}
