using System.Globalization;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;

namespace BudgetCluster.Grains.Tests.Ledger;

public sealed class LedgerLimitsTests
{
    [Fact]
    public void Check_OrdinaryEntry_IsNull()
    {
        Assert.Null(LedgerLimits.Check(Entry()));
    }

    [Fact]
    public void Check_OrdinaryEntry_AllocatesNothing()
    {
        var entry = Entry() with { RequestId = "req-\U0001F600-ok", Attributions = [new BudgetAttribution("b-1", Entry().OccurredAt)] };
        LedgerLimits.Check(entry);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            LedgerLimits.Check(entry);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("environment_id")]
    [InlineData("request_id")]
    [InlineData("dp_id")]
    [InlineData("model_id")]
    [InlineData("api_key_id")]
    [InlineData("budget_id")]
    public void Check_NulInText_NamesTheField(string field)
    {
        var reason = LedgerLimits.Check(WithText(field, "a\0b"));

        Assert.Equal($"'{field}' contains a NUL character, which PostgreSQL text cannot hold", reason);
    }

    [Theory]
    [InlineData("high alone")]
    [InlineData("low alone")]
    [InlineData("low before high")]
    public void Check_LoneSurrogate_NamesTheField(string shape)
    {
        // Built here: a lone surrogate does not survive as test case data.
        var text = shape switch
        {
            "high alone" => "a\uD83D",
            "low alone" => "\uDE00b",
            _ => "\uDE00\uD83D",
        };

        var reason = LedgerLimits.Check(WithText("request_id", text));

        Assert.Equal("'request_id' contains a lone UTF-16 surrogate, which has no UTF-8 form", reason);
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0001-12-31T23:59:59Z")]
    [InlineData("9999-01-01T00:00:00Z")]
    public void Check_OccurredAtOutsideYears2To9998_SaysSo(string occurredAt)
    {
        var reason = LedgerLimits.Check(Entry() with { OccurredAt = DateTimeOffset.Parse(occurredAt, CultureInfo.InvariantCulture) });

        Assert.Equal(
            $"'occurred_at' {occurredAt} is outside the years 2 to 9998, where budget periods and ledger partitions are defined",
            reason);
    }

    [Fact]
    public void Check_OccurredAtAtTheEdgesOfTheRange_IsNull()
    {
        Assert.Null(LedgerLimits.Check(Entry() with { OccurredAt = PeriodCalendar.EarliestInstant }));
        Assert.Null(LedgerLimits.Check(Entry() with { OccurredAt = PeriodCalendar.LatestInstant }));
    }

    [Fact]
    public void Check_ReceivedAtOutsideTheRange_SaysSo()
    {
        Assert.StartsWith("'received_at' 0001-01-01T00:00:00Z is outside", LedgerLimits.Check(Entry() with { ReceivedAt = default }), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AmountBeyondTheLimit_NamesTheColumn()
    {
        Assert.Null(LedgerLimits.Check(Entry() with { CostUsd = LedgerLimits.MaxAmountUsd, CacheSavingsUsd = -LedgerLimits.MaxAmountUsd }));
        Assert.Equal(
            "'cost_usd' 1000000000000000.000001 is beyond ±1000000000000000 USD, which the ledger's sums can hold",
            LedgerLimits.Check(Entry() with { CostUsd = LedgerLimits.MaxAmountUsd + 0.000001m }));
        Assert.StartsWith("'cache_savings_usd' -", LedgerLimits.Check(Entry() with { CacheSavingsUsd = decimal.MinValue }), StringComparison.Ordinal);
    }

    private static LedgerEntry WithText(string field, string text) => field switch
    {
        "environment_id" => Entry() with { EnvironmentId = text },
        "request_id" => Entry() with { RequestId = text },
        "dp_id" => Entry() with { DpId = text },
        "model_id" => Entry() with { ModelId = text },
        "api_key_id" => Entry() with { ApiKeyId = text },
        _ => Entry() with { Attributions = [new BudgetAttribution("b-1", Entry().OccurredAt), new BudgetAttribution(text, Entry().OccurredAt)] },
    };

    private static LedgerEntry Entry() => UsageLedgerContract.Entry("env", "dp", "req-1", 0, 1);
}
