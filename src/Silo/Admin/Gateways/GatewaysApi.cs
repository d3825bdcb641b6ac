using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>Gateway status, under <c>/api/v1/environments/{environment_id}</c> (certificates: <see cref="GatewayCertificatesApi"/>).</summary>
public static class GatewaysApi
{
    public static RouteGroupBuilder MapGatewaysApi(this RouteGroupBuilder api)
    {
        api.MapGet("/environments/{environment_id}/gateways", ListAsync)
            .Produces<IReadOnlyList<GatewayView>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/environments/{environment_id}/gateways/{dp_id}", GetAsync)
            .Produces<GatewayView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ListAsync([FromRoute(Name = "environment_id")] string environmentId, IGrainFactory grains)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, environmentId) is { } missing)
        {
            return missing;
        }

        var environment = grains.GetGrain<IEnvironmentGrain>(environmentId);

        var dpIds = await environment.ListGatewaysAsync();
        var details = await Task.WhenAll(dpIds.Select(dpId =>
            grains.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).GetGatewayDetailAsync()));
        IReadOnlyList<GatewayView> views = details.Select(View).ToList();
        return TypedResults.Json(views, AdminJsonContext.Default.IReadOnlyListGatewayView);
    }

    private static async Task<IResult> GetAsync(
        [FromRoute(Name = "environment_id")] string environmentId,
        [FromRoute(Name = "dp_id")] string dpId,
        IGrainFactory grains)
    {
        if ((Ids.Check(environmentId, "environment_id") ?? Ids.Check(dpId, "dp_id")) is { } badId)
        {
            return badId;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, environmentId) is { } missing)
        {
            return missing;
        }

        var environment = grains.GetGrain<IEnvironmentGrain>(environmentId);

        if (!(await environment.ListGatewaysAsync()).Contains(dpId))
        {
            return Problems.NotFound($"gateway '{dpId}' not found in environment '{environmentId}'");
        }

        var detail = await grains.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).GetGatewayDetailAsync();
        return TypedResults.Json(View(detail), AdminJsonContext.Default.GatewayView);
    }

    internal static GatewayView View(GatewayDetail detail) => new(
        detail.DpId,
        detail.Instances.Select(i => new GatewayInstanceView(i.InstanceId, i.Hostname, i.Version, WireFormat.Instant(i.LastHeartbeatAt))).ToList(),
        new GatewayTelemetryView(
            WireFormat.Instant(detail.Telemetry.LastBatchAt),
            detail.Telemetry.EventsAccepted,
            detail.Telemetry.EventsDuplicate,
            detail.Telemetry.EventsRejected,
            detail.Telemetry.EventsUnpriced,
            detail.Telemetry.EventsUnboundKey,
            ByReason(detail.Telemetry.EventsRejectedByReason)),
        new GatewayUsageView(
            detail.Usage.Requests,
            detail.Usage.PromptTokens,
            detail.Usage.CompletionTokens,
            WireFormat.Usd(detail.Usage.SpendUsd),
            WireFormat.Usd(detail.Usage.CacheSavingsUsd),
            detail.Usage.Errors,
            detail.Usage.BudgetDenied));

    /// <summary>Every reason code, 0 when it never happened, in ordinal order of the codes.</summary>
    private static SortedDictionary<string, long> ByReason(ImmutableDictionary<string, long> counts)
    {
        var view = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in RejectionReasons.All)
        {
            view[reason] = 0;
        }

        foreach (var (reason, count) in counts)
        {
            view[reason] = count;
        }

        return view;
    }
}
