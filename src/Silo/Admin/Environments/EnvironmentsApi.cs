using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

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
        try
        {
            await grains.GetGrain<IEnvironmentGrain>(environmentId).PutEnvironmentAsync(definition);
        }
        catch (DefinitionConflictException ex)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "Conflict", ex.Message);
        }

        // The org pushes its fail mode and budget index to the environment (and on to its gateways).
        await grains.GetGrain<IOrgGrain>(definition.OrgId).RegisterEnvironmentAsync(environmentId);
        return TypedResults.Json(new EnvironmentView(environmentId, definition.OrgId, definition.Name), AdminJsonContext.Default.EnvironmentView);
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
