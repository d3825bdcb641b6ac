using BudgetCluster.Grains.Gateways;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Grains.Tests.Gateways;

public sealed class GatewayTotalsTests
{
    [Fact]
    public void Apply_TokensPastTheLargestTotal_StayAtTheLargest_AndTheRestStillAdds()
    {
        var totals = new GatewayTotals { PromptTokens = long.MaxValue - 10, CompletionTokens = long.MaxValue - 3, SpendUsd = 1.5m };

        totals.Apply(Entry(prompt: int.MaxValue, completion: 3, cost: 0.25m));
        totals.Apply(Entry(prompt: 1, completion: 1, cost: 0.25m));

        Assert.Equal(long.MaxValue, totals.PromptTokens);
        Assert.Equal(long.MaxValue, totals.CompletionTokens);
        Assert.Equal(2, totals.Events);
        Assert.Equal(2.0m, totals.SpendUsd);
    }

    [Fact]
    public void Apply_OrdinaryTokens_AddExactly()
    {
        var totals = new GatewayTotals();

        totals.Apply(Entry(prompt: int.MaxValue, completion: 7, cost: 0.1m));
        totals.Apply(Entry(prompt: int.MaxValue, completion: 0, cost: 0.2m));

        Assert.Equal(2L * int.MaxValue, totals.PromptTokens);
        Assert.Equal(7, totals.CompletionTokens);
        Assert.Equal(0.3m, totals.SpendUsd);
    }

    private static LedgerEntry Entry(long prompt, long completion, decimal cost) => new()
    {
        EnvironmentId = "env",
        RequestId = Guid.NewGuid().ToString("N"),
        AttemptIndex = 0,
        DpId = "dp",
        Sequence = 1,
        OccurredAt = TestClock.Now,
        ReceivedAt = TestClock.Now,
        ModelId = "m",
        ApiKeyId = "k",
        PromptTokens = prompt,
        CompletionTokens = completion,
        StatusCode = 200,
        UpstreamLatencyMs = 5,
        CostUsd = cost,
        CacheSavingsUsd = 0,
        Unpriced = false,
        CacheHit = false,
    };
}
