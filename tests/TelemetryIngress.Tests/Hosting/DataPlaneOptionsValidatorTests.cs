using System.Globalization;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.TelemetryIngress.Tests.Hosting;

public sealed class DataPlaneOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new DataPlaneOptionsValidator().Validate(null, new DataPlaneOptions()).Succeeded);
    }

    [Theory]
    [InlineData("36525.00:00:00")]
    [InlineData("00:00:01")]
    public void Validate_MaxEventAgeUpTo100Years_Succeeds(string age)
    {
        var options = new DataPlaneOptions { MaxEventAge = TimeSpan.Parse(age, CultureInfo.InvariantCulture) };

        Assert.True(new DataPlaneOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    [InlineData("36525.00:00:00.0000001")]
    [InlineData("3650000.00:00:00")]
    public void Validate_MaxEventAgeNotPositiveOrOver100Years_FailsNamingTheKey(string age)
    {
        var options = new DataPlaneOptions { MaxEventAge = TimeSpan.Parse(age, CultureInfo.InvariantCulture) };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith("DataPlane:MaxEventAge", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("1.00:00:01")]
    public void Validate_MaxClockSkewNegativeOrOverADay_FailsNamingTheKey(string skew)
    {
        var options = new DataPlaneOptions { MaxClockSkew = TimeSpan.Parse(skew, CultureInfo.InvariantCulture) };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith("DataPlane:MaxClockSkew", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Validate_MaxConnectionsBelowOne_FailsNamingTheKey(long connections)
    {
        var result = new DataPlaneOptionsValidator().Validate(null, new DataPlaneOptions { MaxConnections = connections });

        Assert.True(result.Failed);
        Assert.Equal($"DataPlane:MaxConnections ({connections}) must be at least 1", result.FailureMessage);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.0500000")]
    [InlineData("-01:00:00")]
    [InlineData("7.00:00:01")]
    public void Validate_ServerCertificateCheckIntervalOutOfRange_FailsNamingTheKey(string interval)
    {
        var options = new DataPlaneOptions { ServerCertificateCheckInterval = TimeSpan.Parse(interval, CultureInfo.InvariantCulture) };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith("DataPlane:ServerCertificateCheckInterval", result.FailureMessage, StringComparison.Ordinal);
    }
}
