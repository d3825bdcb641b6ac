using System.Collections.Immutable;
using System.Security.Cryptography;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>Gateway onboarding (client certificates) and gateway status, under <c>/api/v1/environments/{environment_id}</c>.</summary>
public static class GatewaysApi
{
    public static RouteGroupBuilder MapGatewaysApi(this RouteGroupBuilder api)
    {
        api.MapPost("/environments/{environment_id}/gateway-certificates", IssueCertificateAsync)
            .Accepts<CertificateBody>("application/json")
            .Produces<CertificateView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/environments/{environment_id}/gateways", ListAsync)
            .Produces<IReadOnlyList<GatewayView>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/environments/{environment_id}/gateways/{dp_id}", GetAsync)
            .Produces<GatewayView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> IssueCertificateAsync(
        [FromRoute(Name = "environment_id")] string environmentId,
        HttpRequest request,
        IGrainFactory grains,
        CertificateAuthority authority,
        IOptions<DataPlaneOptions> options)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.CertificateBody, allowEmpty: true);
        if (problem is not null)
        {
            return problem;
        }

        if (Text.OptionalId(body!.DpId, "dp_id") is { } badDp)
        {
            return badDp;
        }

        if (await Lookups.EnvironmentMissingAsync(grains, environmentId) is { } missing)
        {
            return missing;
        }

        var environment = grains.GetGrain<IEnvironmentGrain>(environmentId);

        if (!authority.CanIssue)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "Cannot issue",
                "the configured CA has no private key (DataPlane:CaKeyPath), so this cluster cannot issue gateway certificates");
        }

        var dpId = body.DpId ?? "dp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var issued = authority.IssueGatewayCertificate(environmentId, dpId, options.Value.GatewayCertificateValidity);
        await environment.RegisterGatewayAsync(dpId);
        var view = new CertificateView(
            issued.DpId, issued.CertificatePem, issued.PrivateKeyPem, issued.CaPem, WireFormat.Instant(issued.ExpiresAt));
        return TypedResults.Json(view, AdminJsonContext.Default.CertificateView, statusCode: StatusCodes.Status201Created);
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

    private static GatewayView View(GatewayDetail detail) => new(
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
