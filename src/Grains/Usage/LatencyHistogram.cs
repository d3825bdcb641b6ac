using System.Globalization;
using System.Text;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// A small log-scale histogram of durations in whole milliseconds, from which usage views read
/// percentiles. Values below <see cref="ExactBelow"/> each have a bucket of their own; above, bucket
/// <c>k</c> holds <c>[16·r^k, 16·r^(k+1))</c> with <c>r</c> = <see cref="Ratio"/>, and a percentile is
/// answered with the bucket's geometric midpoint, so it is within <c>√r − 1</c> (4.4%) of the exact
/// nearest-rank value (and never above the exact maximum). Stored sparse, as text
/// <c>"bucket:count,bucket:count"</c> in bucket order, so a rollup row of a few events stays small
/// and two stored histograms add up bucket by bucket.
/// </summary>
public sealed class LatencyHistogram
{
    public const int ExactBelow = 16;
    public const double Ratio = 1.09;
    /// <summary>
    /// The bucket past the last one any <see cref="long"/> can fall in (its lower bound, 16·r^475,
    /// exceeds <see cref="long.MaxValue"/>), so every duration has a bucket as narrow as the others:
    /// the data plane bounds no latency, and a stored histogram only holds the buckets it uses.
    /// </summary>
    public const int MaxBucket = ExactBelow + 475;

    /// <summary>Up to this many used buckets, a histogram is added to a larger one bucket by bucket (<see cref="Add(LatencyHistogram)"/>).</summary>
    private const int FewBuckets = 4;

    private static readonly double LogRatio = Math.Log(Ratio);
    // Each bucket's lower bound, computed once: placing a value compares with them (every ledger row is placed).
    private static readonly double[] LowerBounds = [.. Enumerable.Range(0, MaxBucket + 2).Select(LowerBound)];
    // The used buckets in increasing order and their counts: a rollup row holds a handful, and
    // arrays keep adding, merging and encoding them free of per-bucket allocations.
    private int[] _buckets = [];
    private long[] _counts = [];
    private int _used;

    public long Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public static int BucketOf(long milliseconds)
    {
        if (milliseconds < ExactBelow)
        {
            return (int)Math.Max(milliseconds, 0);
        }

        var k = (int)Math.Floor(Math.Log(milliseconds / (double)ExactBelow) / LogRatio);
        k = Math.Clamp(k, 0, MaxBucket - ExactBelow);
        // Floating point can put a value on a boundary one bucket off: settle it exactly.
        while (k > 0 && LowerBounds[ExactBelow + k] > milliseconds)
        {
            k--;
        }

        while (ExactBelow + k < MaxBucket && LowerBounds[ExactBelow + k + 1] <= milliseconds)
        {
            k++;
        }

        return ExactBelow + k;
    }

    public void Add(long milliseconds) => Add(BucketOf(milliseconds), 1);

    public LatencyHistogram()
    {
    }

    /// <summary>An empty histogram with room for <paramref name="buckets"/> used buckets (a decoder knows how many).</summary>
    public LatencyHistogram(int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(buckets);
        _buckets = new int[buckets];
        _counts = new long[buckets];
    }

    /// <summary>
    /// Adds <paramref name="other"/> bucket by bucket. Both hold their buckets in order, so this is
    /// one merge of two sorted runs (a usage view adds thousands of rows of a hundred buckets each):
    /// counts add in place when every bucket is already used, otherwise the union is merged from
    /// the back into arrays sized for it. A histogram of a few buckets (a minute row of a few
    /// events, added to an hour or a projection of a hundred buckets: what a fold does most) is
    /// added one bucket at a time by binary search instead, so it does not walk the larger one.
    /// </summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._used == 0)
        {
            return;
        }

        if (other._used <= FewBuckets && _used > 2 * FewBuckets)
        {
            for (var i = 0; i < other._used; i++)
            {
                Add(other._buckets[i], other._counts[i]);
            }

            return;
        }

        var union = _used;
        for (int i = 0, j = 0; j < other._used;)
        {
            if (i < _used && _buckets[i] < other._buckets[j])
            {
                i++;
            }
            else
            {
                union += i < _used && _buckets[i] == other._buckets[j] ? 0 : 1;
                i += i < _used && _buckets[i] == other._buckets[j] ? 1 : 0;
                j++;
            }
        }

        if (union > _buckets.Length)
        {
            Array.Resize(ref _buckets, Math.Max(union, Math.Min(_buckets.Length * 2, MaxBucket + 1)));
            Array.Resize(ref _counts, _buckets.Length);
        }

        // From the back: a slot is written only after what it held has moved further back.
        var mine = _used - 1;
        var theirs = other._used - 1;
        for (var at = union - 1; theirs >= 0; at--)
        {
            if (mine >= 0 && _buckets[mine] > other._buckets[theirs])
            {
                _buckets[at] = _buckets[mine];
                _counts[at] = _counts[mine--];
            }
            else
            {
                var count = other._counts[theirs];
                if (mine >= 0 && _buckets[mine] == other._buckets[theirs])
                {
                    count += _counts[mine--];
                }

                _buckets[at] = other._buckets[theirs--];
                _counts[at] = count;
            }
        }

        _used = union;
        Count += other.Count;
    }

    /// <summary>
    /// The nearest-rank <paramref name="quantile"/> (0-1): the bucket holding the value ranked
    /// ⌈q·n⌉, answered with its midpoint, capped at <paramref name="max"/> when it is known. Null when empty.
    /// </summary>
    public double? Percentile(double quantile, long? max = null)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (var i = 0; i < _used; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var value = Representative(_buckets[i]);
                return Math.Round(max is { } cap ? Math.Min(value, cap) : value, 2);
            }
        }

        return null;
    }

    public string Encode()
    {
        if (_used == 0)
        {
            return "";
        }

        var text = new StringBuilder(_used * 8);
        for (var i = 0; i < _used; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(CultureInfo.InvariantCulture, $"{_buckets[i]}:{_counts[i]}");
        }

        return text.ToString();
    }

    /// <summary>Reads <see cref="Encode"/>'s text; empty text is an empty histogram.</summary>
    public static LatencyHistogram Parse(string? text)
    {
        var histogram = new LatencyHistogram();
        if (string.IsNullOrEmpty(text))
        {
            return histogram;
        }

        var rest = text.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            var colon = part.IndexOf(':');
            if (colon <= 0
                || !int.TryParse(part[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var bucket)
                || !long.TryParse(part[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                || bucket > MaxBucket)
            {
                throw new FormatException($"'{text}' is not a stored latency histogram.");
            }

            histogram.Add(bucket, count);
            if (comma < 0)
            {
                break;
            }

            rest = rest[(comma + 1)..];
        }

        return histogram;
    }

    /// <summary>The used buckets and their counts, in bucket order (what a binary encoding stores).</summary>
    public IEnumerable<(int Bucket, long Count)> Buckets()
    {
        for (var i = 0; i < _used; i++)
        {
            yield return (_buckets[i], _counts[i]);
        }
    }

    /// <summary>Adds <paramref name="count"/> values of <paramref name="bucket"/>; a bucket past <see cref="MaxBucket"/> is refused.</summary>
    public void AddToBucket(int bucket, long count)
    {
        if (bucket is < 0 or > MaxBucket || count < 0)
        {
            throw new FormatException($"Bucket {bucket} with count {count} is not part of a latency histogram.");
        }

        Add(bucket, count);
    }

    /// <summary>Adds two encoded histograms (what a rollup upsert does with a stored row and a new one).</summary>
    public static string Merge(string? left, string? right)
    {
        var sum = Parse(left);
        sum.Add(Parse(right));
        return sum.Encode();
    }

    private void Add(int bucket, long count)
    {
        if (count <= 0)
        {
            return;
        }

        Count += count;
        var at = Array.BinarySearch(_buckets, 0, _used, bucket);
        if (at >= 0)
        {
            _counts[at] += count;
            return;
        }

        at = ~at;
        if (_used == _buckets.Length)
        {
            var size = Math.Max(4, _used * 2);
            Array.Resize(ref _buckets, size);
            Array.Resize(ref _counts, size);
        }

        Array.Copy(_buckets, at, _buckets, at + 1, _used - at);
        Array.Copy(_counts, at, _counts, at + 1, _used - at);
        _buckets[at] = bucket;
        _counts[at] = count;
        _used++;
    }

    private static double LowerBound(int bucket) =>
        bucket < ExactBelow ? bucket : ExactBelow * Math.Pow(Ratio, bucket - ExactBelow);

    private static double Representative(int bucket) =>
        bucket < ExactBelow ? bucket : Math.Sqrt(LowerBounds[bucket] * LowerBounds[bucket + 1]);
}
