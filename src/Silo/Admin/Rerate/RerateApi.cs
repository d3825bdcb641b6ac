using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Rerate;

/// <summary>
/// <c>POST /api/v1/orgs/{org_id}/rerate</c> (API.md §9): what the events that occurred in a window
/// would cost under other prices, per model, from their stored token counts (<see cref="Rerating"/>).
/// A preview: it changes nothing.
/// </summary>
public static class RerateApi
{
    /// <summary>The longest window one preview reads: it reads the window's ledger rows.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    public static RouteGroupBuilder MapRerateApi(this RouteGroupBuilder api)
    {
        api.MapPost("/orgs/{org_id}/rerate", RerateAsync)
            .Accepts<RerateBody>("application/json")
            .Produces<RerateView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> RerateAsync(
        [FromRoute(Name = "org_id")] string orgId, HttpRequest request, IGrainFactory grains, IUsageLedger ledger)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.RerateBody);
        if (problem is not null)
        {
            return problem;
        }

        var (window, badWindow) = Window(body!);
        if (badWindow is not null)
        {
            return badWindow;
        }

        if (body!.Prices is not { } priceBodies)
        {
            return Problems.BadRequest("missing required field 'prices' (an object of model id to pricing; {} re-rates nothing)");
        }

        var prices = new Dictionary<string, ModelPricing>(StringComparer.Ordinal);
        foreach (var (modelId, pricing) in priceBodies)
        {
            if (Ids.Check(modelId, $"prices.{modelId}") is { } badModel)
            {
                return badModel;
            }

            if (pricing is null)
            {
                return Problems.BadRequest($"'prices.{modelId}' must be a pricing object");
            }

            if (pricing.Check($"prices.{modelId}") is { } badPrice)
            {
                return badPrice;
            }

            prices[modelId] = pricing.ToPricing();
        }

        var org = grains.GetGrain<IOrgGrain>(orgId);
        if (await org.GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        // Deleted environments too: their events are still the org's usage.
        var environments = await org.ListUsageEnvironmentsAsync();

        var sums = await ledger.SumTokensAsync(environments, window.From, window.To, request.HttpContext.RequestAborted);
        // The prices the events were priced with: each repriced model's timeline, read once.
        var timelines = await Task.WhenAll(sums.Select(sum => sum.ModelId).Where(prices.ContainsKey).Distinct(StringComparer.Ordinal)
            .Select(async modelId => (Id: modelId, Model: await grains.GetGrain<IModelGrain>(modelId).GetModelAsync())));
        var models = timelines.ToDictionary(entry => entry.Id, entry => entry.Model, StringComparer.Ordinal);
        var lines = Rerating.Rerate(
            sums, prices, (modelId, version) => models.GetValueOrDefault(modelId)?.Timeline.FirstOrDefault(price => price.Version == version)?.Pricing);

        var spend = lines.Sum(line => line.SpendUsd);
        var rerated = lines.Sum(line => line.ReratedUsd);
        return TypedResults.Json(
            new RerateView(
                orgId,
                WireFormat.Instant(window.From),
                WireFormat.Instant(window.To),
                [.. lines.Select(line => new RerateModelView(
                    line.ModelId.Length == 0 ? null : line.ModelId, line.Attempts,
                    WireFormat.Usd(line.SpendUsd), WireFormat.Usd(line.ReratedUsd), WireFormat.Usd(line.DeltaUsd)))],
                WireFormat.Usd(spend),
                WireFormat.Usd(rerated),
                WireFormat.Usd(rerated - spend)),
            AdminJsonContext.Default.RerateView);
    }

    private static ((DateTimeOffset From, DateTimeOffset To) Window, IResult? Problem) Window(RerateBody body)
    {
        var (from, badStart) = Instant(body.StartingAt, "starting_at");
        var (to, badEnd) = Instant(body.EndingAt, "ending_at");
        if ((badStart ?? badEnd) is { } bad)
        {
            return (default, bad);
        }

        if (to <= from)
        {
            return (default, Problems.BadRequest("'ending_at' must be after 'starting_at'"));
        }

        return to - from > MaxWindow
            ? (default, Problems.BadRequest($"the window from 'starting_at' to 'ending_at' is at most {MaxWindow.TotalDays:0} days"))
            : ((from, to), null);
    }

    private static (DateTimeOffset Value, IResult? Problem) Instant(string? text, string field)
    {
        if (text is null)
        {
            return (default, Problems.BadRequest($"missing required field '{field}' (RFC 3339, e.g. 2026-11-01T00:00:00Z)"));
        }

        return WireFormat.TryParseInstant(text, out var value)
            ? (value, null)
            : (default, Problems.BadRequest($"'{field}' must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T00:00:00Z (got '{text}')"));
    }
}
