using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// Admits a data plane request only with a client certificate this cluster's CA issued, carrying
/// both gateway SANs, and not revoked in its environment's catalog; otherwise answers 401/403
/// with the reason (a revoked certificate's connection is closed after the answer). The TLS handshake accepts any
/// certificate so that a refused gateway learns why instead of seeing a broken connection.
/// </summary>
public static class GatewayAuthentication
{
    private static readonly object IdentityKey = new();

    public static IApplicationBuilder UseGatewayAuthentication(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var authority = context.RequestServices.GetRequiredService<CertificateAuthority>();
            var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
            var check = authority.Check(certificate);
            if (check.Identity is null)
            {
                var title = check.StatusCode == StatusCodes.Status401Unauthorized ? "Unauthenticated" : "Forbidden";
                await Problems.Create(check.StatusCode, title, check.Error!).ExecuteAsync(context);
                return;
            }

            // Revocations come with the environment's catalog, which this process holds and is pushed.
            var catalogs = context.RequestServices.GetRequiredService<CatalogCache>();
            EnvironmentCatalog catalog;
            try
            {
                catalog = await catalogs.GetAsync(check.Identity.EnvironmentId);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var options = context.RequestServices.GetRequiredService<IOptions<DataPlaneOptions>>();
                await Problems.Unavailable(context, options.Value.RetryAfterSeconds, "the cluster cannot be reached to check the client certificate; retry later")
                    .ExecuteAsync(context);
                return;
            }

            if (catalog.RevokedCertificates.TryGetValue(check.Serial!, out var revokedAt))
            {
                context.Response.Headers.Connection = "close";
                await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthenticated",
                    $"the client certificate (serial {check.Serial}) was revoked at {WireFormat.Instant(revokedAt)}").ExecuteAsync(context);
                return;
            }

            context.Items[IdentityKey] = check.Identity;
            await next(context);
        });

    /// <summary>The verified identity of the calling gateway.</summary>
    public static GatewayIdentity GetGatewayIdentity(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items[IdentityKey] as GatewayIdentity
            ?? throw new InvalidOperationException("The gateway authentication middleware did not run.");
    }
}
