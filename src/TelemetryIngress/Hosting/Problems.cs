using Microsoft.AspNetCore.Http;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary><c>application/problem+json</c> answers whose detail says what is wrong.</summary>
public static class Problems
{
    public static IResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult BadRequest(string detail) =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", detail);

    public static IResult NotFound(string detail) =>
        Create(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>429 with <c>Retry-After</c>: this caller has as much open as it may; retry later.</summary>
    public static IResult TooManyRequests(HttpContext context, int retryAfterSeconds, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(StatusCodes.Status429TooManyRequests, "Too many requests", detail);
    }

    /// <summary>503 with <c>Retry-After</c>: nothing of the request was accepted; send it again.</summary>
    public static IResult Unavailable(HttpContext context, int retryAfterSeconds, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail);
    }
}
