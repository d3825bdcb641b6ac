using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.TelemetryIngress.Health;

/// <summary>Ready only when this process's data plane listens (a silo run with <c>DataPlane:Enabled=false</c> has none to wait for).</summary>
internal sealed class DataPlaneListeningCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var server = services.GetService<DataPlaneServer>();
        return Task.FromResult(server switch
        {
            null => HealthCheckResult.Healthy("no data plane in this process (DataPlane:Enabled is false)"),
            { BoundAddress: { } address } => HealthCheckResult.Healthy($"the data plane listens on {address}"),
            _ => HealthCheckResult.Unhealthy("the data plane is not listening yet"),
        });
    }
}
