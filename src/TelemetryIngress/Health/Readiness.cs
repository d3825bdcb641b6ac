using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.TelemetryIngress.Health;

/// <summary>
/// Liveness and readiness of a process, with the standard <c>Microsoft.Extensions.Diagnostics.HealthChecks</c>:
/// <c>/healthz</c> is 200 while the process serves HTTP at all; <c>/readyz</c> is 200 when every
/// registered check passes within <see cref="CheckTimeout"/>, else 503, the JSON body naming each
/// check and what it found. Each process adds its own checks to the builder this returns.
/// </summary>
public static class Readiness
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Registers the checks every process has: its data plane listens (or it has none).</summary>
    public static IHealthChecksBuilder AddReadiness(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<DataPlaneListeningCheck>("data_plane", timeout: CheckTimeout);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => TypedResults.Json(new HealthView("ok"), DataPlaneJsonContext.Default.HealthView))
            .WithSummary("Liveness: 200 while the process answers HTTP.");
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = (context, report) => context.Response.WriteAsJsonAsync(
                new ReadinessView(
                    report.Status == HealthStatus.Healthy ? "ready" : "not_ready",
                    report.Entries.ToDictionary(
                        entry => entry.Key,
                        entry => new ReadinessCheckView(entry.Value.Status == HealthStatus.Healthy ? "healthy" : "unhealthy", entry.Value.Description))),
                DataPlaneJsonContext.Default.ReadinessView),
        });
        return app;
    }
}
