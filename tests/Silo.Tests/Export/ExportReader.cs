using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Export;

/// <summary>What a warehouse loader does with the export: pages from a stored cursor until nothing more is readable.</summary>
public static class ExportReader
{
    /// <summary>One page as JSON.</summary>
    public static async Task<JsonObject> PageAsync(AdminClient admin, string orgId, string? after = null, int? limit = null, string extra = "")
    {
        var query = new List<string>();
        if (after is not null)
        {
            query.Add("after=" + Uri.EscapeDataString(after));
        }

        if (limit is not null)
        {
            query.Add($"limit={limit}");
        }

        var path = $"/api/v1/orgs/{orgId}/usage-events?{string.Join('&', query)}{extra}";
        return (await admin.GetOkAsync(path)).AsObject();
    }

    /// <summary>Every event after <paramref name="after"/>, page by page, and the cursor to store at the end.</summary>
    public static async Task<(List<JsonObject> Events, string Cursor, int Pages)> ReadAllAsync(
        AdminClient admin, string orgId, string? after = null, int limit = 1000, string extra = "")
    {
        var events = new List<JsonObject>();
        var pages = 0;
        while (true)
        {
            var page = await PageAsync(admin, orgId, after, limit, extra);
            pages++;
            var batch = page["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
            Assert.True(batch.Count <= limit, $"a page of {batch.Count} events for limit {limit}");
            events.AddRange(batch);
            after = (string)page["next_cursor"]!;
            if (!(bool)page["has_more"]!)
            {
                return (events, after, pages);
            }

            Assert.NotEmpty(batch);
        }
    }

    /// <summary>The identity of an exported event: (dp, request, attempt).</summary>
    public static string Key(JsonObject exported) =>
        $"{(string)exported["dp_id"]!}/{(string)exported["request_id"]!}/{(int)exported["attempt_index"]!}";
}
