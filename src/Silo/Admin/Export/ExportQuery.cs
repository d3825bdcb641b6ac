using System.Collections.Immutable;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TelemetryIngress.Hosting;

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
        if (QueryParameters.AtMostOnce(query, "after", out var afterText) is { } repeatedAfter)
        {
            return (null, repeatedAfter);
        }

        if (!string.IsNullOrEmpty(afterText) && !CommitPosition.TryDecode(afterText, out after))
        {
            return (null, Problems.BadRequest(
                "'after' is not a cursor of this export: pass the 'next_cursor' of a previous answer, or leave it out to start from the first event"));
        }

        if (QueryParameters.Limit(query, DefaultLimit, MaxLimit, out var limit) is { } badLimit)
        {
            return (null, badLimit);
        }

        if (QueryParameters.IdList(query, "environment_id", out var environments) is { } badEnvironment)
        {
            return (null, badEnvironment);
        }

        return (new ExportQuery(after, limit, environments), null);
    }
}
