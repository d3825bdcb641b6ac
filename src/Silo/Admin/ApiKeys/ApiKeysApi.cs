using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.ApiKeys;

/// <summary><c>/api/v1/api-keys</c>: which environment, team and member an API key belongs to.</summary>
public static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        api.MapPut("/api-keys/{api_key_id}", PutAsync)
            .Accepts<ApiKeyBody>("application/json")
            .Produces<ApiKeyView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/api-keys/{api_key_id}", GetAsync)
            .Produces<ApiKeyView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/api-keys", ListAsync)
            .WithQuery([new("environment_id", "The environment whose API keys are listed.", Required: true), .. AdminOpenApi.Paging])
            .Produces<ListView<ApiKeyView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/api-keys/{api_key_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> PutAsync([FromRoute(Name = "api_key_id")] string apiKeyId, HttpRequest request, IGrainFactory grains)
    {
        if (Ids.Check(apiKeyId, "api_key_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.ApiKeyBody);
        if (problem is not null)
        {
            return problem;
        }

        if ((Text.RequiredId(body!.EnvironmentId, "environment_id") ?? Text.OptionalId(body.TeamId, "team_id")
            ?? Text.OptionalId(body.UserId, "user_id")) is { } invalid)
        {
            return invalid;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, body.EnvironmentId!) is { } missing)
        {
            return missing;
        }

        var binding = new ApiKeyBinding(body.EnvironmentId!, body.TeamId, body.UserId);
        await grains.GetGrain<IApiKeyGrain>(apiKeyId).PutApiKeyAsync(binding);
        return TypedResults.Json(View(apiKeyId, binding), AdminJsonContext.Default.ApiKeyView);
    }

    private static Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains) =>
        CatalogLists.ListAsync(request, grains, "api-keys", (environment, after, limit) => environment.ListApiKeysAsync(after, limit), View,
            AdminJsonContext.Default.ListViewApiKeyView);

    private static Task<IResult> DeleteAsync([FromRoute(Name = "api_key_id")] string apiKeyId, IGrainFactory grains) =>
        CatalogLists.DeleteAsync(apiKeyId, "api_key_id", "api key", id => grains.GetGrain<IApiKeyGrain>(id).DeleteApiKeyAsync());

    private static async Task<IResult> GetAsync([FromRoute(Name = "api_key_id")] string apiKeyId, IGrainFactory grains)
    {
        if (Ids.Check(apiKeyId, "api_key_id") is { } badId)
        {
            return badId;
        }

        var binding = await grains.GetGrain<IApiKeyGrain>(apiKeyId).GetApiKeyAsync();
        return binding is null
            ? Problems.NotFound($"api key '{apiKeyId}' not found")
            : TypedResults.Json(View(apiKeyId, binding), AdminJsonContext.Default.ApiKeyView);
    }

    private static ApiKeyView View(string apiKeyId, ApiKeyBinding binding) =>
        new(apiKeyId, binding.EnvironmentId, binding.TeamId, binding.UserId);
}
