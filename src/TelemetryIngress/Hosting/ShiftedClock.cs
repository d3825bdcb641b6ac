using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// The system clock, shifted by <c>Testing:ClockOffset</c> (a <see cref="TimeSpan"/>, default zero).
/// Only for tests that must run the whole system at a calendar boundary (the last second of a
/// month, say); every process of such a run gets the same offset, so they agree on "now".
/// Production leaves it unset and runs on <see cref="TimeProvider.System"/> itself.
/// </summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public const string OffsetKey = "Testing:ClockOffset";

    public TimeSpan Offset { get; } = offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>The clock configuration asks for: <see cref="TimeProvider.System"/> unless an offset is set.</summary>
    public static TimeProvider FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return FromOffset(configuration[OffsetKey]);
    }

    /// <summary>The system clock shifted by <paramref name="text"/> (see <see cref="Parse"/>); unshifted when it is empty or zero.</summary>
    public static TimeProvider FromOffset(string? text) =>
        Parse(text) is { } offset && offset != TimeSpan.Zero ? new ShiftedClock(offset) : System;

    /// <summary>Reads an offset written as a <see cref="TimeSpan"/> (<c>-19:20:00</c>, <c>-1.02:03:04</c>).</summary>
    public static TimeSpan? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw new InvalidOperationException($"{OffsetKey} '{text}' is not a time span such as -19:20:00");
    }
}
