using System.Buffers.Text;
using System.Text;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// <c>?limit=</c> and <c>?page=</c> of the admin lists sorted by id. A page token is the list's
/// name and the last id of the previous page, so a page stays valid while entries are added or
/// deleted: the next page starts after that id whatever happened before it.
/// </summary>
public static class ListPaging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;
    private const string Version = "l1";

    /// <summary>A 400 for a bad <c>limit</c> or a <c>page</c> that is not one of this list's; else null, with where to start.</summary>
    public static IResult? Read(IQueryCollection query, string list, out int limit, out string? after)
    {
        ArgumentNullException.ThrowIfNull(query);
        after = null;
        if (QueryParameters.Limit(query, DefaultLimit, MaxLimit, out limit) is { } badLimit)
        {
            return badLimit;
        }

        if (QueryParameters.AtMostOnce(query, "page", out var page) is { } repeated)
        {
            return repeated;
        }

        if (page is null)
        {
            return null;
        }

        after = Decode(page, list);
        return after is null ? Problems.BadRequest($"'page' is not a page of this {list} list: pass the next_page of its previous answer") : null;
    }

    /// <summary>
    /// The answer for a grain's <paramref name="page"/>, shown as <paramref name="data"/> (which may
    /// leave out entries deleted meanwhile); its <c>next_page</c> names the page's last id.
    /// </summary>
    public static ListView<TView> View<T, TView>(string list, DefinitionPage<T> page, IReadOnlyList<TView> data)
    {
        ArgumentNullException.ThrowIfNull(page);
        var next = page.HasMore && page.Entries.Length > 0 ? Encode(list, page.Entries[^1].Id) : null;
        return new ListView<TView>(data, next is not null, next);
    }

    private static string Encode(string list, string lastId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}.{list}.{lastId}"));

    private static string? Decode(string page, string list)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(page)).Split('.', 3);
            return parts.Length == 3 && parts[0] == Version && parts[1] == list && Ids.IsValid(parts[2]) ? parts[2] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
