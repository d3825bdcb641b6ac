using System.Text.RegularExpressions;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// Ids of orgs, environments, keys, models and gateways: 1-128 characters of letters, digits and
/// <c>. _ : @ -</c>, starting with a letter or digit. No '/', so composite grain keys split cleanly,
/// and nothing that needs escaping in a certificate URI SAN.
/// </summary>
public static partial class Ids
{
    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>A 400 naming <paramref name="field"/> when <paramref name="id"/> is not a valid id, else null.</summary>
    public static IResult? Check(string? id, string field) =>
        IsValid(id)
            ? null
            : Problems.BadRequest($"'{field}' must be 1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit");

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
