using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.Silo.Health;

/// <summary>
/// <c>/readyz</c> (standard <c>Microsoft.Extensions.Diagnostics.HealthChecks</c>): 200 when the silo
/// has joined its cluster, the ledger takes a write within 2 s and the data plane listens; else 503,
/// the JSON body naming each check. <c>/healthz</c> stays the liveness answer: the process runs.
/// </summary>
public static class Readiness
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<SiloJoinedCheck>("silo", timeout: CheckTimeout)
            .AddCheck<LedgerWriteCheck>("ledger", timeout: CheckTimeout)
            .AddCheck<DataPlaneListeningCheck>("data_plane", timeout: CheckTimeout);
        return services;
    }

    public static WebApplication MapReadiness(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
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
                Admin.AdminJsonContext.Default.ReadinessView),
        });
        return app;
    }
}
