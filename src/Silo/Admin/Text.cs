using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>Checks of free-text fields of admin bodies.</summary>
public static class Text
{
    public const int MaxNameLength = 200;

    /// <summary>A 400 when <paramref name="value"/> is missing, blank or longer than <see cref="MaxNameLength"/>; else null.</summary>
    public static IResult? RequiredName(string? value, string field) =>
        string.IsNullOrWhiteSpace(value)
            ? Problems.BadRequest($"missing required field '{field}'")
            : value.Length > MaxNameLength
                ? Problems.BadRequest($"'{field}' must be at most {MaxNameLength} characters")
                : null;

    /// <summary>A 400 when a required reference id is missing or malformed; else null.</summary>
    public static IResult? RequiredId(string? value, string field) =>
        value is null ? Problems.BadRequest($"missing required field '{field}'") : Ids.Check(value, field);

    /// <summary>A 400 when an optional reference id is present but malformed; else null.</summary>
    public static IResult? OptionalId(string? value, string field) =>
        value is null ? null : Ids.Check(value, field);
}
