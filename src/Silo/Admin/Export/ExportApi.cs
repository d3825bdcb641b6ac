using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;
using Microsoft.AspNetCore.Mvc;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.Export;

/// <summary>
/// <c>GET /api/v1/orgs/{org_id}/usage-events</c> (API.md §7): every accepted event of an org, once,
/// in commit order, as JSON or NDJSON. The cursor is the ledger's commit position of the last
/// event returned, so a client that stores <c>next_cursor</c> never misses an event (a late one is
/// committed, and so exported, after everything before it) and never gets one twice.
/// </summary>
public static class ExportApi
{
    /// <summary>Times the org's environments are read again when they changed during a page read.</summary>
    private const int MaxEnvironmentRereads = 3;

    public static RouteGroupBuilder MapExportApi(this RouteGroupBuilder api)
    {
        api.MapGet("/orgs/{org_id}/usage-events", ExportAsync)
            .WithQuery(
                new("after", "The `next_cursor` of the previous page; absent or empty: from the org's first event."),
                new("limit", $"Events per page, 1 to {ExportQuery.MaxLimit} (default {ExportQuery.DefaultLimit}).", Numeric: true),
                new("environment_id", "Only these environments (repeatable or comma-separated); absent: all of the org's.", Repeatable: true))
            // NDJSON is the same page, one event a line: described by the JSON page's schema.
            .Produces<ExportPageView>(StatusCodes.Status200OK, "application/json", NdjsonExportResult.MediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ExportAsync(
        [FromRoute(Name = "org_id")] string orgId, HttpRequest request, IGrainFactory grains, IUsageLedger ledger)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var (query, problem) = ExportQuery.Parse(request.Query);
        if (problem is not null)
        {
            return problem;
        }

        var (environments, missing) = await Lookups.OrgEnvironmentsAsync(grains, orgId, query!.EnvironmentIds);
        if (missing is not null)
        {
            return missing;
        }

        var page = query.EnvironmentIds.IsEmpty
            ? await ReadOrgAsync(grains.GetGrain<IOrgGrain>(orgId), ledger, environments, query, request.HttpContext.RequestAborted)
            : await ledger.ReadEventsAsync(query.EnvironmentIds, query.After, query.Limit, request.HttpContext.RequestAborted);
        return NdjsonExportResult.IsAccepted(request)
            ? new NdjsonExportResult(page)
            : TypedResults.Json(
                new ExportPageView([.. page.Events.Select(ExportEventView.From)], page.Next.Encode(), page.HasMore),
                AdminJsonContext.Default.ExportPageView);
    }

    /// <summary>
    /// A page over all the org's environments. An environment added while the page was read could
    /// have events committed before the page's last one, which the next cursor would pass over: when
    /// the org's environments changed meanwhile, the page is read again with them.
    /// </summary>
    private static async Task<ExportPage> ReadOrgAsync(
        IOrgGrain org, IUsageLedger ledger, ImmutableArray<string> environments, ExportQuery query, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var page = environments.IsEmpty
                ? new ExportPage([], query.After, false)
                : await ledger.ReadEventsAsync(environments, query.After, query.Limit, cancellationToken);
            var now = await org.ListEnvironmentsAsync();
            if (attempt == MaxEnvironmentRereads || now.All(environments.Contains))
            {
                return page;
            }

            environments = now;
        }
    }
}
