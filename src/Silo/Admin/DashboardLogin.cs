using Microsoft.AspNetCore.Http.Features;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// <c>/login</c>: a form where an operator pastes the admin token once; the answer sets the
/// dashboard cookie to a <see cref="DashboardSessions"/> session (HttpOnly, SameSite=Strict, path
/// <c>/</c> but honoured on the browser pages only: <c>/console</c>, <c>/dashboard</c>, <c>/docs</c>; Max-Age its lifetime, Secure behind TLS) and goes to the console.
/// <c>POST /logout</c> removes the cookie. Bodies over <see cref="MaxBodyBytes"/> are refused (413).
/// </summary>
public static class DashboardLogin
{
    private const string Form = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>BudgetCluster login</title></head>
        <body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
        <h1>BudgetCluster</h1>
        <p>Paste the admin token (configuration <code>Admin:Token</code>, or the file <code>admin-token</code> in the data directory).</p>
        <form method="post" action="/login">
          <label for="token">Admin token</label>
          <input id="token" type="password" name="token" autocomplete="off" style="width: 100%" autofocus>
          <p><button type="submit">Log in</button></p>
        </form>
        <!--message-->
        </body></html>
        """;

    /// <summary>The largest <c>/login</c> body read: a form with one token field needs far less.</summary>
    public const int MaxBodyBytes = 4096;

    public static WebApplication MapDashboardLogin(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/login", () => Page(StatusCodes.Status200OK, "")).ExcludeFromDescription();
        app.MapPost("/login", async (HttpContext context, AdminToken token, DashboardSessions sessions) =>
        {
            if (!context.Request.HasFormContentType)
            {
                return Page(StatusCodes.Status415UnsupportedMediaType, Alert("Send the login form (Content-Type: application/x-www-form-urlencoded)."));
            }

            if (context.Request.ContentLength > MaxBodyBytes)
            {
                return TooLarge();
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBodyBytes;
            }

            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(context.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge();
            }
            catch (InvalidDataException)
            {
                return Page(StatusCodes.Status400BadRequest, Alert("The login form could not be read."));
            }

            if (!token.Matches(form["token"].ToString().Trim()))
            {
                return Page(StatusCodes.Status401Unauthorized, Alert("That token is not valid."));
            }

            context.Response.Cookies.Append(AdminAuthentication.CookieName, sessions.Create(), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                // Sent to every page; accepted by AdminAuthentication on the browser pages only.
                Path = "/",
                Secure = context.Request.IsHttps,
                MaxAge = DashboardSessions.Lifetime,
            });
            return Results.Redirect("/console");
        }).DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/logout", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(AdminAuthentication.CookieName, new CookieOptions { Path = "/" });
            return Results.Redirect("/login");
        }).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static IResult TooLarge() =>
        Page(StatusCodes.Status413PayloadTooLarge, Alert($"The login form is larger than {MaxBodyBytes} bytes."));

    private static string Alert(string text) => $"<p role=\"alert\">{System.Net.WebUtility.HtmlEncode(text)}</p>";

    private static IResult Page(int status, string message) =>
        Results.Content(Form.Replace("<!--message-->", message, StringComparison.Ordinal), "text/html; charset=utf-8", statusCode: status);
}
