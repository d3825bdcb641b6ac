using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// Requires the admin token on <c>/api/</c> and <c>/dashboard</c>: <c>Authorization: Bearer …</c>,
/// or the <see cref="CookieName"/> cookie that <c>/login</c> sets for browsers.
/// </summary>
public static class AdminAuthentication
{
    public const string CookieName = "budgetcluster_admin";

    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!path.StartsWithSegments("/api", StringComparison.Ordinal)
                && !path.StartsWithSegments("/dashboard", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            var token = context.RequestServices.GetRequiredService<AdminToken>();
            var presented = BearerToken(context.Request) ?? context.Request.Cookies[CookieName];
            if (token.Matches(presented))
            {
                await next(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            var detail = presented is null
                ? "missing admin token: send 'Authorization: Bearer <token>' (configuration Admin:Token, or the file admin-token in the data directory)"
                : "the admin token is not valid";
            await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthenticated", detail).ExecuteAsync(context);
        });

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
    }
}
