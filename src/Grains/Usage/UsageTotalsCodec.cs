using System.Buffers;
using System.Buffers.Binary;

namespace BudgetCluster.Grains.Usage;

/// <summary>
/// <see cref="UsageTotals"/> as bytes, the form a SQLite rollup row stores them in: a version byte,
/// the counts as unsigned LEB128 varints (ZigZag, so a negative count would survive too), the two
/// amounts as <see cref="decimal.GetBits(decimal)"/> (exact, 16 bytes each), and each histogram as
/// its number of used buckets followed by (bucket − previous bucket, count) varint pairs. Binding
/// one blob instead of twenty columns (two of them decimal text and two histogram text) is what
/// keeps a fold's write short; nothing but this code reads the bytes.
/// </summary>
public static class UsageTotalsCodec
{
    private const byte Version = 1;

    public static byte[] Encode(UsageTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        var buffer = new ArrayBufferWriter<byte>(96);
        buffer.GetSpan(1)[0] = Version;
        buffer.Advance(1);
        foreach (var count in Counts(totals))
        {
            WriteVarint(buffer, count);
        }

        WriteDecimal(buffer, totals.SpendUsd);
        WriteDecimal(buffer, totals.CacheSavingsUsd);
        WriteHistogram(buffer, totals.Latency);
        WriteHistogram(buffer, totals.Ttft);
        return buffer.WrittenSpan.ToArray();
    }

    public static UsageTotals Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes[0] != Version)
        {
            throw new FormatException("The stored usage sums are not of a known format.");
        }

        var at = 1;
        var counts = new long[CountFields];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = ReadVarint(bytes, ref at);
        }

        var totals = new UsageTotals
        {
            Attempts = counts[0],
            Requests = counts[1],
            PromptTokens = counts[2],
            CompletionTokens = counts[3],
            CachedPromptTokens = counts[4],
            CacheCreationTokens = counts[5],
            CacheReadTokens = counts[6],
            ReasoningTokens = counts[7],
            CacheHits = counts[8],
            UnpricedAttempts = counts[9],
            ErrorAttempts = counts[10],
            BudgetDenied = counts[11],
            LatencySumMs = counts[12],
            LatencyMaxMs = counts[13],
            TtftCount = counts[14],
            TtftSumMs = counts[15],
            SpendUsd = ReadDecimal(bytes, ref at),
            CacheSavingsUsd = ReadDecimal(bytes, ref at),
            Latency = ReadHistogram(bytes, ref at),
            Ttft = ReadHistogram(bytes, ref at),
        };
        if (at != bytes.Length)
        {
            throw new FormatException("The stored usage sums have bytes past their end.");
        }

        return totals;
    }

    private const int CountFields = 16;

    private static long[] Counts(UsageTotals t) =>
    [
        t.Attempts, t.Requests, t.PromptTokens, t.CompletionTokens, t.CachedPromptTokens, t.CacheCreationTokens,
        t.CacheReadTokens, t.ReasoningTokens, t.CacheHits, t.UnpricedAttempts, t.ErrorAttempts, t.BudgetDenied,
        t.LatencySumMs, t.LatencyMaxMs, t.TtftCount, t.TtftSumMs,
    ];

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var span = buffer.GetSpan(10);
        var n = 0;
        while (zigzag >= 0x80)
        {
            span[n++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }

        span[n++] = (byte)zigzag;
        buffer.Advance(n);
    }

    private static long ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new FormatException("The stored usage sums end inside a number.");
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }

        throw new FormatException("The stored usage sums hold a number longer than 64 bits.");
    }

    private static void WriteDecimal(ArrayBufferWriter<byte> buffer, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var span = buffer.GetSpan(16);
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], bits[i]);
        }

        buffer.Advance(16);
    }

    private static decimal ReadDecimal(ReadOnlySpan<byte> bytes, ref int at)
    {
        if (at + 16 > bytes.Length)
        {
            throw new FormatException("The stored usage sums end inside an amount.");
        }

        Span<int> bits = stackalloc int[4];
        for (var i = 0; i < 4; i++)
        {
            bits[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + (i * 4))..]);
        }

        at += 16;
        return new decimal(bits);
    }

    private static void WriteHistogram(ArrayBufferWriter<byte> buffer, LatencyHistogram histogram)
    {
        var buckets = histogram.Buckets().ToList();
        WriteVarint(buffer, buckets.Count);
        var previous = 0;
        foreach (var (bucket, count) in buckets)
        {
            WriteVarint(buffer, bucket - previous);
            WriteVarint(buffer, count);
            previous = bucket;
        }
    }

    private static LatencyHistogram ReadHistogram(ReadOnlySpan<byte> bytes, ref int at)
    {
        var histogram = new LatencyHistogram();
        var used = ReadVarint(bytes, ref at);
        var bucket = 0L;
        for (var i = 0; i < used; i++)
        {
            bucket += ReadVarint(bytes, ref at);
            if (bucket is < 0 or > LatencyHistogram.MaxBucket)
            {
                throw new FormatException("The stored usage sums hold a latency bucket out of range.");
            }

            histogram.AddToBucket((int)bucket, ReadVarint(bytes, ref at));
        }

        return histogram;
    }
}
