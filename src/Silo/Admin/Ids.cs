using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.Silo.Admin;

/// <summary>The admin API's check of ids against <see cref="IdRule"/>.</summary>
public static class Ids
{
    public static bool IsValid(string? id) => IdRule.IsValid(id);

    /// <summary>A 400 naming <paramref name="field"/> when <paramref name="id"/> is not a valid id, else null.</summary>
    public static IResult? Check(string? id, string field) =>
        IsValid(id) ? null : Problems.BadRequest($"'{field}' must be {IdRule.Description}");
}
