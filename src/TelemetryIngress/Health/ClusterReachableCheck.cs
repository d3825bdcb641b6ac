using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.TelemetryIngress.Health;

/// <summary>
/// A separate ingress is ready only when a silo answers it: the management grain lists the active
/// silos within the check's timeout. (The ledger's own health is each silo's <c>/readyz</c>.)
/// </summary>
internal sealed class ClusterReachableCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken).WaitAsync(cancellationToken);
            return silos.Count > 0
                ? HealthCheckResult.Healthy($"{silos.Count} active silo(s) answer")
                : HealthCheckResult.Unhealthy("the cluster has no active silo");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"no silo answers: {ex.Message}");
        }
    }
}
