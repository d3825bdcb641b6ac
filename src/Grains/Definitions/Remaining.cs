namespace BudgetCluster.Grains.Definitions;

/// <summary>What still depends on a definition that was asked to be deleted, named in the 409's message.</summary>
internal static class Remaining
{
    private const int IdsShown = 5;

    /// <summary>Null when every part is empty; else "org 'acme' still has 2 environments (prod, test) and 1 budget (b-1): remove them first".</summary>
    public static string? Describe(string subject, params (string One, string Many, IReadOnlyCollection<string> Ids)[] parts)
    {
        var named = parts
            .Where(part => part.Ids.Count > 0)
            .Select(part => $"{part.Ids.Count} {(part.Ids.Count == 1 ? part.One : part.Many)} ({Shown(part.Ids)})")
            .ToList();
        return named.Count switch
        {
            0 => null,
            1 => $"{subject} still has {named[0]}: remove them first",
            _ => $"{subject} still has {string.Join(", ", named[..^1])} and {named[^1]}: remove them first",
        };
    }

    private static string Shown(IReadOnlyCollection<string> ids)
    {
        var sorted = ids.Order(StringComparer.Ordinal).Take(IdsShown + 1).ToList();
        return sorted.Count > IdsShown ? string.Join(", ", sorted[..IdsShown]) + ", …" : string.Join(", ", sorted);
    }
}
