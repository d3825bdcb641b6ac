using System.Diagnostics.Metrics;

namespace BudgetCluster.Grains.Abstractions.Diagnostics;

/// <summary>
/// Bucket boundaries for our duration histograms, which are in seconds as OpenTelemetry's semantic
/// conventions say: from 0.5 ms (a decision from memory) to 10 s (a request timeout). The SDK's
/// default boundaries (0 to 10,000) suit milliseconds and would put every duration in the first bucket.
/// </summary>
public static class DurationHistogram
{
    public static InstrumentAdvice<double> Seconds { get; } = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };
}
