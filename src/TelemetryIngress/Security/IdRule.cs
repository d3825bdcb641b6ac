using System.Text.RegularExpressions;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// The one rule for ids of orgs, environments, keys, models and gateways: 1-128 characters of
/// letters, digits and <c>. _ : @ -</c>, starting with a letter or digit. No <c>/</c>, so composite
/// grain keys split cleanly, and nothing that needs escaping in a certificate URI SAN. The admin
/// API checks ids with it when they are created, the data plane the ids a certificate names.
/// </summary>
public static partial class IdRule
{
    public const string Description = "1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit";

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
