using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Pricing;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.Models;

/// <summary><c>/api/v1/models</c>: models and their pricing, used to price usage events.</summary>
public static class ModelsApi
{
    /// <summary>The first year a price may take effect: that of the usage views and statements.</summary>
    private const int EarliestPriceYear = 1972;

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
        api.MapGet("/models/{model_id}/prices", GetPricesAsync)
            .Produces<IReadOnlyList<ModelPriceView>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/models", ListAsync)
            .WithQuery([new("environment_id", "The environment whose models are listed.", Required: true), .. AdminOpenApi.Paging])
            .Produces<ListView<ModelView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/models/{model_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> PutAsync(
        [FromRoute(Name = "model_id")] string modelId, HttpRequest request, IGrainFactory grains, TimeProvider time)
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

        if (pricing.Check("pricing") is { } badPrice)
        {
            return badPrice;
        }

        DateTimeOffset? effectiveFrom = null;
        if (body.EffectiveFrom is { } from)
        {
            if (!WireFormat.TryParseInstant(from, out var instant))
            {
                return Problems.BadRequest($"'effective_from' must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T00:00:00Z (got '{from}')");
            }

            if (instant.Year is < EarliestPriceYear or > 9998)
            {
                // Leave the price out of the body of a new model for "since always".
                return Problems.BadRequest($"'effective_from' must be from {EarliestPriceYear} to 9998 (got '{from}')");
            }

            effectiveFrom = instant;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, body.EnvironmentId!) is { } missing)
        {
            return missing;
        }

        var definition = new ModelDefinition(body.EnvironmentId!, body.Name!, body.ProviderKeyId, pricing.ToPricing());
        var stored = await grains.GetGrain<IModelGrain>(modelId).PutModelAsync(new ModelPut(definition, effectiveFrom));
        return TypedResults.Json(View(modelId, stored, time.GetUtcNow()), AdminJsonContext.Default.ModelView);
    }

    private static Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains, TimeProvider time) =>
        CatalogLists.ListAsync(
            request, grains, "models", (environment, after, limit) => environment.ListModelsAsync(after, limit),
            (id, model) => View(id, model, time.GetUtcNow()), AdminJsonContext.Default.ListViewModelView);

    private static Task<IResult> DeleteAsync([FromRoute(Name = "model_id")] string modelId, IGrainFactory grains) =>
        CatalogLists.DeleteAsync(modelId, "model_id", "model", id => grains.GetGrain<IModelGrain>(id).DeleteModelAsync());

    private static async Task<IResult> GetAsync([FromRoute(Name = "model_id")] string modelId, IGrainFactory grains, TimeProvider time)
    {
        var (definition, problem) = await ReadAsync(modelId, grains);
        return problem ?? TypedResults.Json(View(modelId, definition!, time.GetUtcNow()), AdminJsonContext.Default.ModelView);
    }

    private static async Task<IResult> GetPricesAsync([FromRoute(Name = "model_id")] string modelId, IGrainFactory grains)
    {
        var (definition, problem) = await ReadAsync(modelId, grains);
        if (problem is not null)
        {
            return problem;
        }

        var timeline = definition!.Timeline;
        var prices = timeline
            .Select((price, index) => new ModelPriceView(
                price.Version, Since(price.EffectiveFrom), WireFormat.Instant(PriceHistory.EffectiveTo(timeline, index)), PricingOf(price.Pricing)))
            .ToList();
        return TypedResults.Json<IReadOnlyList<ModelPriceView>>(prices, AdminJsonContext.Default.IReadOnlyListModelPriceView);
    }

    private static async Task<(ModelDefinition? Definition, IResult? Problem)> ReadAsync(string modelId, IGrainFactory grains)
    {
        if (Ids.Check(modelId, "model_id") is { } badId)
        {
            return (null, badId);
        }

        var definition = await grains.GetGrain<IModelGrain>(modelId).GetModelAsync();
        return definition is null ? (null, Problems.NotFound($"model '{modelId}' not found")) : (definition, null);
    }

    /// <summary>The model with the price in force at <paramref name="now"/>, or its earliest price when none is yet.</summary>
    private static ModelView View(string modelId, ModelDefinition definition, DateTimeOffset now)
    {
        var price = definition.PriceAt(now) ?? definition.Timeline[0];
        return new ModelView(
            modelId, definition.EnvironmentId, definition.Name, definition.ProviderKeyId, PricingOf(price.Pricing), price.Version, Since(price.EffectiveFrom));
    }

    private static PricingView PricingOf(ModelPricing p) => new(
        WireFormat.Usd(p.InputPerMTok),
        WireFormat.Usd(p.OutputPerMTok),
        Optional(p.CachedInputPerMTok),
        Optional(p.CacheWritePerMTok),
        Optional(p.CacheReadPerMTok),
        Optional(p.AudioPerSecond));

    /// <summary>An effective date on the wire: null for "since the beginning of time".</summary>
    private static string? Since(DateTimeOffset from) => from == DateTimeOffset.MinValue ? null : WireFormat.Instant(from);

    private static string? Optional(decimal? price) => price is { } value ? WireFormat.Usd(value) : null;
}
