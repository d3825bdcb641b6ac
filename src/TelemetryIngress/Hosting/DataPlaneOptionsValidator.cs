using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Refuses, at start, a <see cref="DataPlaneOptions"/> under which an accepted event could carry a
/// time that the cluster cannot place in a budget period or a ledger partition: the accepted
/// window (now - <c>MaxEventAge</c>, now + <c>MaxClockSkew</c>] must stay decades away from the
/// years 1 and 9999 where date arithmetic overflows.
/// </summary>
internal sealed class DataPlaneOptionsValidator : IValidateOptions<DataPlaneOptions>
{
    /// <summary>Far beyond any retention a gateway has, and still thousands of years from year 1.</summary>
    public static readonly TimeSpan MaxEventAgeLimit = TimeSpan.FromDays(36_525);

    /// <summary>A clock that is a day off is broken; a larger skew would only let such clocks in.</summary>
    public static readonly TimeSpan MaxClockSkewLimit = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, DataPlaneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxEventAge <= TimeSpan.Zero || options.MaxEventAge > MaxEventAgeLimit)
        {
            failures.Add($"DataPlane:MaxEventAge ({options.MaxEventAge}) must be positive and at most 100 years ({MaxEventAgeLimit.Days}.00:00:00)");
        }

        if (options.MaxClockSkew < TimeSpan.Zero || options.MaxClockSkew > MaxClockSkewLimit)
        {
            failures.Add($"DataPlane:MaxClockSkew ({options.MaxClockSkew}) must be from 00:00:00 to 1.00:00:00");
        }

        if (options.MaxStreamsPerGateway < 1)
        {
            failures.Add($"DataPlane:MaxStreamsPerGateway ({options.MaxStreamsPerGateway}) must be at least 1");
        }

        if (options.MaxTelemetryInFlightPerGateway < 1)
        {
            failures.Add($"DataPlane:MaxTelemetryInFlightPerGateway ({options.MaxTelemetryInFlightPerGateway}) must be at least 1");
        }

        if (options.MaxConnections < 1)
        {
            failures.Add($"DataPlane:MaxConnections ({options.MaxConnections}) must be at least 1");
        }

        if (options.ServerCertificateCheckInterval < TimeSpan.FromMilliseconds(100) || options.ServerCertificateCheckInterval > TimeSpan.FromDays(7))
        {
            failures.Add($"DataPlane:ServerCertificateCheckInterval ({options.ServerCertificateCheckInterval}) must be from 00:00:00.1 to 7.00:00:00");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
