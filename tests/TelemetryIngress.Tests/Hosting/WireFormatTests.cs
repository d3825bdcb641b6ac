using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TelemetryIngress.Tests.Hosting;

public sealed class WireFormatTests
{
    [Theory]
    [InlineData("10", "10.00")]
    [InlineData("10.5", "10.50")]
    [InlineData("0", "0.00")]
    [InlineData("0.0048075", "0.0048075")]
    [InlineData("1.50000", "1.50")]
    [InlineData("0.000125", "0.000125")]
    [InlineData("12345678901234.123456789", "12345678901234.123456789")]
    public void Usd_WritesExactDecimalWithAtLeastTwoPlaces(string amount, string expected)
    {
        Assert.Equal(expected, WireFormat.Usd(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Instant_WritesUtcWithZ()
    {
        var instant = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(2));

        Assert.Equal("2026-11-28T10:00:00Z", WireFormat.Instant(instant));
        Assert.Equal("2026-11-28T10:00:00.25Z", WireFormat.Instant(instant.AddMilliseconds(250)));
    }
}
