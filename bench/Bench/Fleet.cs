using System.Diagnostics;

namespace BudgetCluster.Bench;

/// <summary>
/// Gateways posting telemetry batches, one batch in flight per gateway (an AISIX instance flushes
/// its buffer and waits for the answer). At a fixed rate each gateway sends on a schedule and the
/// acknowledgement latency counts from the scheduled moment, so a stall is not hidden by sending
/// later; at <c>rate 0</c> each gateway sends its next batch as soon as the last is acknowledged.
/// </summary>
internal sealed class Fleet(Gateway[] gateways, string keyPrefix, int keys, int batchSize)
{
    private readonly EventMix[] _mixes = gateways.Select((_, i) => new EventMix(keyPrefix, keys, seed: i + 1)).ToArray();
    private long _events;
    private long _failures;

    public IReadOnlyList<Gateway> Gateways => gateways;

    /// <summary>The same batches (keys, mix, size) from other gateways, counted afresh.</summary>
    public Fleet With(Gateway[] others) => new(others, keyPrefix, keys, batchSize);

    /// <summary>Events acknowledged (accepted by a 200) so far.</summary>
    public long Events => Interlocked.Read(ref _events);

    public long Failures => Interlocked.Read(ref _failures);

    public string? LastFailure { get; private set; }

    public async Task<FleetResult> RunAsync(TimeSpan duration, double eventsPerSecond, CancellationToken cancellationToken = default)
    {
        var latencies = new Latencies();
        var eventsBefore = Events;
        var failuresBefore = Failures;
        var interval = eventsPerSecond > 0 ? TimeSpan.FromSeconds(gateways.Length * batchSize / eventsPerSecond) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(gateways.Select((gateway, g) => Task.Run(async () =>
        {
            var mix = _mixes[g];
            // Spread the gateways over the first interval instead of all sending at once.
            var next = interval * g / gateways.Length;
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                if (interval > TimeSpan.Zero)
                {
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero && !await DelayAsync(wait, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                var scheduled = interval > TimeSpan.Zero ? next : clock.Elapsed;
                next += interval;
                var body = mix.Batch(batchSize);
                var (status, answer) = await gateway.PostTelemetryAsync(body, CancellationToken.None).ConfigureAwait(false);
                if (status == 200)
                {
                    latencies.Add((clock.Elapsed - scheduled).TotalMilliseconds);
                    Interlocked.Add(ref _events, batchSize);
                }
                else
                {
                    Interlocked.Increment(ref _failures);
                    LastFailure = $"{status}: {answer}";
                }
            }
        }, CancellationToken.None)));
        clock.Stop();
        var events = Events - eventsBefore;
        return new FleetResult(events, clock.Elapsed.TotalSeconds, events / clock.Elapsed.TotalSeconds, latencies, Failures - failuresBefore);
    }

    /// <summary>Waits; false when cancelled first.</summary>
    private static async Task<bool> DelayAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

internal sealed record FleetResult(long Events, double Seconds, double EventsPerSecond, Latencies Acks, long Failures);
