using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary>
/// Gateway onboarding and offboarding, under <c>/api/v1/environments/{environment_id}/gateway-certificates</c>
/// (API.md §4): issue a client certificate, list the issued ones, revoke one by serial. A revoked
/// serial is in the environment's catalog, which every data-plane process holds and is pushed:
/// it refuses the certificate and closes the connections made with it (<see cref="GatewayConnections"/>).
/// </summary>
public static partial class GatewayCertificatesApi
{
    public static RouteGroupBuilder MapGatewayCertificatesApi(this RouteGroupBuilder api)
    {
        api.MapPost("/environments/{environment_id}/gateway-certificates", IssueAsync)
            .Accepts<CertificateBody>("application/json")
            .Produces<CertificateView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/environments/{environment_id}/gateway-certificates", ListAsync)
            .Produces<IReadOnlyList<CertificateListItemView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/environments/{environment_id}/gateway-certificates/{serial}", RevokeAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> IssueAsync(
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

        if (!authority.CanIssue)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "Cannot issue",
                "the configured CA has no private key (DataPlane:CaKeyPath), so this cluster cannot issue gateway certificates");
        }

        var dpId = body.DpId ?? "dp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var issued = authority.IssueGatewayCertificate(environmentId, dpId, options.Value.GatewayCertificateValidity);
        // Recorded before it is handed out, so every certificate in use can be listed and revoked.
        await grains.GetGrain<IEnvironmentGrain>(environmentId)
            .RecordCertificateAsync(new GatewayCertificate(issued.Serial, dpId, issued.NotBefore, issued.ExpiresAt, null));
        var view = new CertificateView(
            issued.DpId, issued.CertificatePem, issued.PrivateKeyPem, issued.CaPem, WireFormat.Instant(issued.ExpiresAt), issued.Serial);
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

        var certificates = await grains.GetGrain<IEnvironmentGrain>(environmentId).ListCertificatesAsync();
        IReadOnlyList<CertificateListItemView> views = [.. certificates.Select(View)];
        return TypedResults.Json(views, AdminJsonContext.Default.IReadOnlyListCertificateListItemView);
    }

    private static async Task<IResult> RevokeAsync(
        [FromRoute(Name = "environment_id")] string environmentId,
        [FromRoute(Name = "serial")] string serial,
        IGrainFactory grains,
        TimeProvider time)
    {
        if (Ids.Check(environmentId, "environment_id") is { } badId)
        {
            return badId;
        }

        if (!SerialPattern().IsMatch(serial))
        {
            return Problems.BadRequest("'serial' must be a certificate serial number in hex (1-40 digits), as GET .../gateway-certificates lists it");
        }

        if (await Lookups.EnvironmentMissingAsync(grains, environmentId) is { } missing)
        {
            return missing;
        }

        var revoked = await grains.GetGrain<IEnvironmentGrain>(environmentId).RevokeCertificateAsync(serial.ToLowerInvariant(), time.GetUtcNow());
        return revoked is null
            ? Problems.NotFound($"no certificate with serial '{serial}' was issued in environment '{environmentId}'")
            : TypedResults.NoContent();
    }

    private static CertificateListItemView View(GatewayCertificate certificate) => new(
        certificate.Serial,
        certificate.DpId,
        WireFormat.Instant(certificate.NotBefore),
        WireFormat.Instant(certificate.ExpiresAt),
        WireFormat.Instant(certificate.RevokedAt));

    [GeneratedRegex(@"\A[0-9A-Fa-f]{1,40}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SerialPattern();
}
