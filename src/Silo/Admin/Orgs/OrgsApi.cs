using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.Orgs;

/// <summary><c>/api/v1/orgs</c>.</summary>
public static class OrgsApi
{
    public static RouteGroupBuilder MapOrgsApi(this RouteGroupBuilder api)
    {
        api.MapPut("/orgs/{org_id}", PutAsync)
            .Accepts<OrgBody>("application/json")
            .Produces<OrgView>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/orgs/{org_id}", GetAsync)
            .Produces<OrgView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/orgs", ListAsync)
            .WithQuery(AdminOpenApi.Paging)
            .Produces<ListView<OrgView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapDelete("/orgs/{org_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> PutAsync([FromRoute(Name = "org_id")] string orgId, HttpRequest request, IGrainFactory grains)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.OrgBody);
        if (problem is not null)
        {
            return problem;
        }

        if (Text.RequiredName(body!.Name, "name") is { } badName)
        {
            return badName;
        }

        FailMode? mode = body.FailMode switch
        {
            null or "sticky" => FailMode.Sticky,
            "open" => FailMode.Open,
            "closed" => FailMode.Closed,
            _ => null,
        };
        if (mode is null)
        {
            return Problems.BadRequest($"'fail_mode' must be one of sticky, open, closed (got '{body.FailMode}')");
        }

        var zone = body.BillingTimeZone ?? "UTC";
        if (!TimeZones.TryFindIana(zone, out _))
        {
            return Problems.BadRequest($"'billing_time_zone' must be an IANA time zone name such as Europe/Berlin (got '{zone}')");
        }

        var definition = new OrgDefinition(body.Name!, mode.Value, zone);
        await grains.GetGrain<IOrgGrain>(orgId).PutOrgAsync(definition);
        return TypedResults.Json(View(orgId, definition), AdminJsonContext.Default.OrgView);
    }

    private static async Task<IResult> GetAsync([FromRoute(Name = "org_id")] string orgId, IGrainFactory grains)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var definition = await grains.GetGrain<IOrgGrain>(orgId).GetOrgAsync();
        return definition is null
            ? Problems.NotFound($"org '{orgId}' not found")
            : TypedResults.Json(View(orgId, definition), AdminJsonContext.Default.OrgView);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains)
    {
        if (ListPaging.Read(request.Query, "orgs", out var limit, out var after) is { } badPage)
        {
            return badPage;
        }

        var page = await grains.GetGrain<IOrgDirectoryGrain>(IOrgDirectoryGrain.Key).ListAsync(after, limit);
        var definitions = await Task.WhenAll(page.Entries.Select(entry => grains.GetGrain<IOrgGrain>(entry.Id).GetOrgAsync()));
        // An org deleted while this page was read is left out.
        var views = page.Entries.Zip(definitions)
            .Where(pair => pair.Second is not null)
            .Select(pair => View(pair.First.Id, pair.Second!))
            .ToList();
        return TypedResults.Json(ListPaging.View("orgs", page, views), AdminJsonContext.Default.ListViewOrgView);
    }

    private static Task<IResult> DeleteAsync([FromRoute(Name = "org_id")] string orgId, IGrainFactory grains) =>
        CatalogLists.DeleteAsync(orgId, "org_id", "org", id => grains.GetGrain<IOrgGrain>(id).DeleteOrgAsync());

    private static OrgView View(string orgId, OrgDefinition definition) =>
        new(orgId, definition.Name, BudgetWire.FailMode(definition.FailMode), definition.BillingTimeZone ?? "UTC");
}
