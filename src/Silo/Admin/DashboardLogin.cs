namespace BudgetCluster.Silo.Admin;

/// <summary>
/// <c>/login</c>: a form where an operator pastes the admin token once; the answer sets the
/// dashboard cookie (HttpOnly, SameSite=Strict, path <c>/dashboard</c>) and goes to the dashboard.
/// </summary>
public static class DashboardLogin
{
    private const string Form = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>BudgetCluster dashboard login</title></head>
        <body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
        <h1>BudgetCluster</h1>
        <p>Paste the admin token (configuration <code>Admin:Token</code>, or the file <code>admin-token</code> in the data directory).</p>
        <form method="post" action="/login">
          <input type="password" name="token" autocomplete="off" style="width: 100%" autofocus>
          <p><button type="submit">Open the dashboard</button></p>
        </form>
        <!--message-->
        </body></html>
        """;

    public static WebApplication MapDashboardLogin(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/login", () => Page(StatusCodes.Status200OK, "")).ExcludeFromDescription();
        app.MapPost("/login", async (HttpContext context, AdminToken token) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var presented = form["token"].ToString().Trim();
            if (!token.Matches(presented))
            {
                return Page(StatusCodes.Status401Unauthorized, "<p role=\"alert\">That token is not valid.</p>");
            }

            context.Response.Cookies.Append(AdminAuthentication.CookieName, presented, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/dashboard",
                Secure = context.Request.IsHttps,
            });
            return Results.Redirect("/dashboard/");
        }).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static IResult Page(int status, string message) =>
        Results.Content(Form.Replace("<!--message-->", message, StringComparison.Ordinal), "text/html; charset=utf-8", statusCode: status);
}
