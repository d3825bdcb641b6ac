using System.Text;
using BudgetCluster.Silo.Console;

namespace BudgetCluster.Silo.Tests.Console;

public sealed class StatementAdjustmentsTests
{
    [Fact]
    public void Of_ABodyWithAdjustments_CountsThem_NamesTheirMonths_AndSumsExactly()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"org_id":"acme","period":"2026-12","lines":[],
             "adjustments":[{"period":"2026-10","spend_usd":"0.1"},{"period":"2026-11","spend_usd":"0.2"},{"period":"2026-10","spend_usd":"0.0000001"}],
             "total_usd":"0.3000001"}
            """);

        var adjustments = StatementAdjustments.Of(body);

        Assert.Equal(3, adjustments.Count);
        Assert.Equal(["2026-10", "2026-11"], adjustments.Periods);
        // 0.1 + 0.2 in binary floating point would not be 0.3.
        Assert.Equal("0.3000001", adjustments.TotalUsd);
    }

    [Fact]
    public void Of_ABodyWithNone_IsEmpty() =>
        Assert.Equal(0, StatementAdjustments.Of(Encoding.UTF8.GetBytes("""{"adjustments":[]}""")).Count);
}
