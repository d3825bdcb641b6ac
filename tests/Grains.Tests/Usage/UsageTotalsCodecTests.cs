using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Grains.Tests.Usage;

public sealed class UsageTotalsCodecTests
{
    [Fact]
    public void Decode_OfEncode_GivesBackEveryFieldExactly()
    {
        var random = new Random(3);
        for (var run = 0; run < 200; run++)
        {
            var totals = new UsageTotals
            {
                Attempts = random.NextInt64(0, long.MaxValue),
                Requests = random.Next(),
                PromptTokens = random.NextInt64(),
                CompletionTokens = run % 2 == 0 ? 0 : long.MaxValue,
                CachedPromptTokens = random.Next(),
                CacheCreationTokens = random.Next(),
                CacheReadTokens = random.Next(),
                ReasoningTokens = random.Next(),
                CacheHits = random.Next(),
                UnpricedAttempts = random.Next(),
                ErrorAttempts = random.Next(),
                BudgetDenied = random.Next(),
                LatencySumMs = random.NextInt64(),
                LatencyMaxMs = random.Next(),
                TtftCount = random.Next(),
                TtftSumMs = random.NextInt64(),
                SpendUsd = new decimal(random.Next(), random.Next(), random.Next(), run % 3 == 0, (byte)random.Next(29)),
                CacheSavingsUsd = 0.000000000000000000000000001m * run,
            };
            for (var i = random.Next(20); i > 0; i--)
            {
                totals.Latency.Add(random.NextInt64(0, run % 5 == 0 ? long.MaxValue : 100_000));
                totals.Ttft.Add(random.Next(5_000));
            }

            var decoded = UsageTotalsCodec.Decode(UsageTotalsCodec.Encode(totals));

            Assert.Equivalent(totals, decoded, strict: true);
            Assert.Equal(totals.SpendUsd, decoded.SpendUsd);
            Assert.Equal(totals.Latency.Buckets(), decoded.Latency.Buckets());
            Assert.Equal(totals.Ttft.Buckets(), decoded.Ttft.Buckets());
            Assert.Equal(totals.Latency.Count, decoded.Latency.Count);
        }
    }

    [Fact]
    public void Decode_BytesThatAreNotStoredSums_Throws()
    {
        var good = UsageTotalsCodec.Encode(new UsageTotals { Attempts = 3, SpendUsd = 1.5m });

        Assert.Throws<FormatException>(() => UsageTotalsCodec.Decode([]));
        Assert.Throws<FormatException>(() => UsageTotalsCodec.Decode([2, .. good[1..]]));
        Assert.Throws<FormatException>(() => UsageTotalsCodec.Decode(good.AsSpan(0, good.Length - 1)));
        Assert.Throws<FormatException>(() => UsageTotalsCodec.Decode([.. good, 0]));
        Assert.Throws<FormatException>(() => UsageTotalsCodec.Decode([1, .. Enumerable.Repeat((byte)0xFF, 11)]));
    }
}
