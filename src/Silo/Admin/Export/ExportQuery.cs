using System.Collections.Immutable;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.Primitives;

namespace BudgetCluster.Silo.Admin.Export;

/// <summary>
/// The query parameters of <c>GET /orgs/{org_id}/usage-events</c>, checked for shape: <c>after</c>
/// (a cursor this API returned; absent or empty: from the first event), <c>limit</c> (1-10,000,
/// default 1,000) and <c>environment_id</c> (repeatable or comma-separated; absent: every
/// environment of the org). Whether the environments are the org's is the endpoint's check.
/// </summary>
public sealed record ExportQuery(CommitPosition After, int Limit, ImmutableArray<string> EnvironmentIds)
{
    public const int DefaultLimit = 1_000;
    public const int MaxLimit = 10_000;

    /// <summary>The query, or a 400 naming the first bad parameter.</summary>
    public static (ExportQuery? Query, IResult? Problem) Parse(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = CommitPosition.Start;
        if (Single(query, "after", out var afterText) is { } repeatedAfter)
        {
            return (null, repeatedAfter);
        }

        if (!string.IsNullOrEmpty(afterText) && !CommitPosition.TryDecode(afterText, out after))
        {
            return (null, Problems.BadRequest(
                "'after' is not a cursor of this export: pass the 'next_cursor' of a previous answer, or leave it out to start from the first event"));
        }

        var limit = DefaultLimit;
        if (Single(query, "limit", out var limitText) is { } repeatedLimit)
        {
            return (null, repeatedLimit);
        }

        if (limitText is not null
            && (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit)
                || limit is < 1 or > MaxLimit))
        {
            return (null, Problems.BadRequest($"'limit' must be an integer from 1 to {MaxLimit}"));
        }

        var environments = ImmutableArray.CreateBuilder<string>();
        foreach (var value in query["environment_id"])
        {
            foreach (var id in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (Ids.Check(id, "environment_id") is { } badId)
                {
                    return (null, badId);
                }

                if (!environments.Contains(id))
                {
                    environments.Add(id);
                }
            }
        }

        return (new ExportQuery(after, limit, environments.ToImmutable()), null);
    }

    /// <summary>A 400 when <paramref name="name"/> is given more than once; else null, with its value (null when absent).</summary>
    private static IResult? Single(IQueryCollection query, string name, out string? value)
    {
        StringValues values = query[name];
        value = values.Count == 0 ? null : values[0];
        return values.Count > 1 ? Problems.BadRequest($"'{name}' must be given at most once") : null;
    }
}
