using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// Requires the admin token everywhere on the admin listener except <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>,
/// <c>/openapi</c> and <c>/login</c>: <c>Authorization: Bearer …</c>, or, on <c>/dashboard</c>,
/// <c>/docs</c> and <c>/console</c> only, the <see cref="CookieName"/> cookie that <c>/login</c> sets for browsers (a
/// <see cref="DashboardSessions"/> session, not the token). A browser (<c>Accept: text/html</c>)
/// that opens one of those pages without either is sent to <c>/login</c>.
/// </summary>
public static class AdminAuthentication
{
    public const string CookieName = "budgetcluster_admin";

    private static readonly PathString[] OpenPaths = ["/healthz", "/readyz", "/metrics", "/openapi", "/login", "/logout"];

    /// <summary>Pages for browsers, where the login session's cookie is accepted (and nowhere else).</summary>
    private static readonly PathString[] BrowserPages = ["/dashboard", "/docs", "/console"];

    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            // Deny by default: only the listed paths are open. Routing ignores case, so must this.
            var path = context.Request.Path;
            // "/" only sends a browser on to the console (which asks for the login).
            if (path == "/" || OpenPaths.Any(open => path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase)))
            {
                await next(context);
                return;
            }

            var token = context.RequestServices.GetRequiredService<AdminToken>();
            // The cookie is for browsers on their pages only, so no API call can ride on it.
            var dashboard = BrowserPages.Any(page => path.StartsWithSegments(page, StringComparison.OrdinalIgnoreCase));
            var presented = BearerToken(context.Request);
            var session = presented is null && dashboard ? context.Request.Cookies[CookieName] : null;
            if (token.Matches(presented)
                || (session is not null && context.RequestServices.GetRequiredService<DashboardSessions>().IsValid(session)))
            {
                await next(context);
                return;
            }

            if (presented is null && dashboard && AcceptsHtml(context.Request))
            {
                // A browser without a session: to the login form, not a JSON 401.
                context.Response.Redirect("/login");
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            var detail = (presented, session) switch
            {
                (not null, _) => "the admin token is not valid",
                (null, not null) => "the dashboard session is not valid or has expired: log in again at /login",
                _ => "missing admin token: send 'Authorization: Bearer <token>' (configuration Admin:Token, or the file admin-token in the data directory)",
            };
            await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthenticated", detail).ExecuteAsync(context);
        });

    private static bool AcceptsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
    }
}
