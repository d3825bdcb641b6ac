using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Models;

/// <summary><c>/api/v1/models</c>: models and their pricing, used to price usage events.</summary>
public static class ModelsApi
{
    /// <summary>Upper bound of any single price, a guard against a misplaced decimal point.</summary>
    public const decimal MaxPrice = 1_000_000m;

    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder api)
    {
        api.MapPut("/models/{model_id}", PutAsync)
            .Accepts<ModelBody>("application/json")
            .Produces<ModelView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/models/{model_id}", GetAsync)
            .Produces<ModelView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/models", ListAsync)
            .Produces<ListView<ModelView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/models/{model_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> PutAsync([FromRoute(Name = "model_id")] string modelId, HttpRequest request, IGrainFactory grains)
    {
        if (Ids.Check(modelId, "model_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.ModelBody);
        if (problem is not null)
        {
            return problem;
        }

        if ((Text.RequiredId(body!.EnvironmentId, "environment_id") ?? Text.RequiredName(body.Name, "name")
            ?? Text.OptionalId(body.ProviderKeyId, "provider_key_id")) is { } invalid)
        {
            return invalid;
        }

        if (body.Pricing is not { } pricing)
        {
            return Problems.BadRequest("missing required field 'pricing'");
        }

        if ((CheckPrice(pricing.InputPerMTok, "input_per_mtok", required: true)
            ?? CheckPrice(pricing.OutputPerMTok, "output_per_mtok", required: true)
            ?? CheckPrice(pricing.CachedInputPerMTok, "cached_input_per_mtok", required: false)
            ?? CheckPrice(pricing.CacheWritePerMTok, "cache_write_per_mtok", required: false)
            ?? CheckPrice(pricing.CacheReadPerMTok, "cache_read_per_mtok", required: false)
            ?? CheckPrice(pricing.AudioPerSecond, "audio_per_second", required: false)) is { } badPrice)
        {
            return badPrice;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, body.EnvironmentId!) is { } missing)
        {
            return missing;
        }

        var definition = new ModelDefinition(body.EnvironmentId!, body.Name!, body.ProviderKeyId, new ModelPricing
        {
            InputPerMTok = pricing.InputPerMTok!.Value,
            OutputPerMTok = pricing.OutputPerMTok!.Value,
            CachedInputPerMTok = pricing.CachedInputPerMTok,
            CacheWritePerMTok = pricing.CacheWritePerMTok,
            CacheReadPerMTok = pricing.CacheReadPerMTok,
            AudioPerSecond = pricing.AudioPerSecond,
        });
        await grains.GetGrain<IModelGrain>(modelId).PutModelAsync(definition);
        return TypedResults.Json(View(modelId, definition), AdminJsonContext.Default.ModelView);
    }

    private static Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains) =>
        CatalogLists.ListAsync(request, grains, "models", (environment, after, limit) => environment.ListModelsAsync(after, limit), View,
            AdminJsonContext.Default.ListViewModelView);

    private static Task<IResult> DeleteAsync([FromRoute(Name = "model_id")] string modelId, IGrainFactory grains) =>
        CatalogLists.DeleteAsync(modelId, "model_id", "model", id => grains.GetGrain<IModelGrain>(id).DeleteModelAsync());

    private static async Task<IResult> GetAsync([FromRoute(Name = "model_id")] string modelId, IGrainFactory grains)
    {
        if (Ids.Check(modelId, "model_id") is { } badId)
        {
            return badId;
        }

        var definition = await grains.GetGrain<IModelGrain>(modelId).GetModelAsync();
        return definition is null
            ? Problems.NotFound($"model '{modelId}' not found")
            : TypedResults.Json(View(modelId, definition), AdminJsonContext.Default.ModelView);
    }

    private static IResult? CheckPrice(decimal? price, string field, bool required) => price switch
    {
        null when required => Problems.BadRequest($"missing required field 'pricing.{field}'"),
        < 0m or > MaxPrice => Problems.BadRequest($"'pricing.{field}' must be from 0 to {MaxPrice}"),
        _ => null,
    };

    private static ModelView View(string modelId, ModelDefinition definition)
    {
        var p = definition.Pricing;
        return new ModelView(modelId, definition.EnvironmentId, definition.Name, definition.ProviderKeyId, new PricingView(
            WireFormat.Usd(p.InputPerMTok),
            WireFormat.Usd(p.OutputPerMTok),
            Optional(p.CachedInputPerMTok),
            Optional(p.CacheWritePerMTok),
            Optional(p.CacheReadPerMTok),
            Optional(p.AudioPerSecond)));
    }

    private static string? Optional(decimal? price) => price is { } value ? WireFormat.Usd(value) : null;
}
