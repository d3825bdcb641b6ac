using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.Environments;

/// <summary><c>/api/v1/environments</c>.</summary>
public static class EnvironmentsApi
{
    public static RouteGroupBuilder MapEnvironmentsApi(this RouteGroupBuilder api)
    {
        api.MapPut("/environments/{environment_id}", PutAsync)
            .Accepts<EnvironmentBody>("application/json")
            .Produces<EnvironmentView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/environments/{environment_id}", GetAsync)
            .Produces<EnvironmentView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/environments", ListAsync)
            .WithQuery([new("org_id", "The org whose environments are listed.", Required: true), .. AdminOpenApi.Paging])
            .Produces<ListView<EnvironmentView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/environments/{environment_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> PutAsync([FromRoute(Name = "environment_id")] string environmentId, HttpRequest request, IGrainFactory grains)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.EnvironmentBody);
        if (problem is not null)
        {
            return problem;
        }

        if ((Text.RequiredId(body!.OrgId, "org_id") ?? Text.RequiredName(body.Name, "name")) is { } invalid)
        {
            return invalid;
        }

        if (await grains.GetGrain<IOrgGrain>(body.OrgId!).GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{body.OrgId}' not found");
        }

        var definition = new EnvironmentDefinition(body.OrgId!, body.Name!);
        await grains.GetGrain<IEnvironmentGrain>(environmentId).PutEnvironmentAsync(definition);

        // The org pushes its fail mode and budget index to the environment (and on to its gateways).
        await grains.GetGrain<IOrgGrain>(definition.OrgId).RegisterEnvironmentAsync(environmentId);
        return TypedResults.Json(new EnvironmentView(environmentId, definition.OrgId, definition.Name), AdminJsonContext.Default.EnvironmentView);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains)
    {
        if (QueryParameters.RequiredId(request.Query, "org_id", out var orgId) is { } badId)
        {
            return badId;
        }

        if (ListPaging.Read(request.Query, "environments", out var limit, out var after) is { } badPage)
        {
            return badPage;
        }

        var org = grains.GetGrain<IOrgGrain>(orgId);
        if (await org.GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        var ids = await org.ListEnvironmentsAsync();
        var page = DefinitionPaging.OfIds(ids, after, limit);
        var definitions = await Task.WhenAll(page.Entries.Select(entry => grains.GetGrain<IEnvironmentGrain>(entry.Id).GetEnvironmentAsync()));
        // An environment deleted while this page was read (or whose org has not yet heard of it) is left out.
        var views = page.Entries.Zip(definitions)
            .Where(pair => pair.Second?.OrgId == orgId)
            .Select(pair => new EnvironmentView(pair.First.Id, pair.Second!.OrgId, pair.Second.Name))
            .ToList();
        return TypedResults.Json(ListPaging.View("environments", page, views), AdminJsonContext.Default.ListViewEnvironmentView);
    }

    private static async Task<IResult> DeleteAsync([FromRoute(Name = "environment_id")] string environmentId, IGrainFactory grains)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        // The environment first; then its org forgets it (an org whose environment went without
        // telling it finds out when the org itself is deleted).
        if (await grains.GetGrain<IEnvironmentGrain>(environmentId).DeleteEnvironmentAsync() is not { } orgId)
        {
            return Problems.NotFound($"environment '{environmentId}' not found");
        }

        await grains.GetGrain<IOrgGrain>(orgId).UnregisterEnvironmentAsync(environmentId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> GetAsync([FromRoute(Name = "environment_id")] string environmentId, IGrainFactory grains)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        var definition = await grains.GetGrain<IEnvironmentGrain>(environmentId).GetEnvironmentAsync();
        return definition is null
            ? Problems.NotFound($"environment '{environmentId}' not found")
            : TypedResults.Json(new EnvironmentView(environmentId, definition.OrgId, definition.Name), AdminJsonContext.Default.EnvironmentView);
    }
}
