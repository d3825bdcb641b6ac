namespace BudgetCluster.Grains.Usage;

/// <summary>
/// <see cref="UsageTotals"/> as bytes, the form a SQLite rollup row stores them in, written and
/// read with .NET's <see cref="BinaryWriter"/>/<see cref="BinaryReader"/>: a version byte, the
/// counts as 7-bit encoded integers (<see cref="BinaryWriter.Write7BitEncodedInt64"/>), the two
/// amounts as <see cref="decimal"/> (exact, 16 bytes each), and each histogram as its number of
/// used buckets followed by (bucket − previous bucket, count) pairs. Binding one blob instead of
/// twenty columns (two of them decimal text and two histogram text) is what keeps a fold's write
/// short; nothing but this code reads the bytes.
/// </summary>
public static class UsageTotalsCodec
{
    private const byte Version = 1;

    public static byte[] Encode(UsageTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        using var bytes = new MemoryStream(96);
        using (var writer = new BinaryWriter(bytes))
        {
            writer.Write(Version);
            foreach (var count in Counts(totals))
            {
                writer.Write7BitEncodedInt64(count);
            }

            writer.Write(totals.SpendUsd);
            writer.Write(totals.CacheSavingsUsd);
            WriteHistogram(writer, totals.Latency);
            WriteHistogram(writer, totals.Ttft);
        }

        return bytes.ToArray();
    }

    public static UsageTotals Decode(ReadOnlySpan<byte> bytes) => Decode(bytes.ToArray());

    public static UsageTotals Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0 || bytes[0] != Version)
        {
            throw new FormatException("The stored usage sums are not of a known format.");
        }

        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BinaryReader(stream);
        try
        {
            reader.ReadByte();
            var counts = new long[CountFields];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = reader.Read7BitEncodedInt64();
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
                SpendUsd = reader.ReadDecimal(),
                CacheSavingsUsd = reader.ReadDecimal(),
                Latency = ReadHistogram(reader),
                Ttft = ReadHistogram(reader),
            };
            if (stream.Position != stream.Length)
            {
                throw new FormatException("The stored usage sums have bytes past their end.");
            }

            return totals;
        }
        catch (EndOfStreamException)
        {
            throw new FormatException("The stored usage sums end before their last field.");
        }
    }

    private const int CountFields = 16;

    private static long[] Counts(UsageTotals t) =>
    [
        t.Attempts, t.Requests, t.PromptTokens, t.CompletionTokens, t.CachedPromptTokens, t.CacheCreationTokens,
        t.CacheReadTokens, t.ReasoningTokens, t.CacheHits, t.UnpricedAttempts, t.ErrorAttempts, t.BudgetDenied,
        t.LatencySumMs, t.LatencyMaxMs, t.TtftCount, t.TtftSumMs,
    ];

    private static void WriteHistogram(BinaryWriter writer, LatencyHistogram histogram)
    {
        var buckets = histogram.Buckets().ToList();
        writer.Write7BitEncodedInt64(buckets.Count);
        var previous = 0;
        foreach (var (bucket, count) in buckets)
        {
            writer.Write7BitEncodedInt64(bucket - previous);
            writer.Write7BitEncodedInt64(count);
            previous = bucket;
        }
    }

    private static LatencyHistogram ReadHistogram(BinaryReader reader)
    {
        var used = reader.Read7BitEncodedInt64();
        if (used is < 0 or > LatencyHistogram.MaxBucket + 1)
        {
            throw new FormatException("The stored usage sums hold more latency buckets than there are.");
        }

        var histogram = new LatencyHistogram((int)used);
        var bucket = 0L;
        for (var i = 0; i < used; i++)
        {
            bucket += reader.Read7BitEncodedInt64();
            if (bucket is < 0 or > LatencyHistogram.MaxBucket)
            {
                throw new FormatException("The stored usage sums hold a latency bucket out of range.");
            }

            histogram.AddToBucket((int)bucket, reader.Read7BitEncodedInt64());
        }

        return histogram;
    }
}
