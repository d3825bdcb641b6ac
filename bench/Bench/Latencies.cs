using System.Diagnostics;

namespace BudgetCluster.Bench;

/// <summary>Recorded durations in milliseconds, with exact percentiles over everything recorded.</summary>
internal sealed class Latencies
{
    private readonly List<double> _values = [];

    public int Count
    {
        get
        {
            lock (_values)
            {
                return _values.Count;
            }
        }
    }

    public static double Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;

    public void Add(double milliseconds)
    {
        lock (_values)
        {
            _values.Add(milliseconds);
        }
    }

    /// <summary>The value below which the fraction <paramref name="p"/> of samples lies (nearest rank); NaN when empty.</summary>
    public double Percentile(double p)
    {
        lock (_values)
        {
            if (_values.Count == 0)
            {
                return double.NaN;
            }

            _values.Sort();
            var rank = (int)Math.Ceiling(p * _values.Count) - 1;
            return _values[Math.Clamp(rank, 0, _values.Count - 1)];
        }
    }
}
