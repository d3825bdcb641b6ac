using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.Silo.Health;

/// <summary>Ready only when this silo is an active member of its cluster.</summary>
internal sealed class SiloJoinedCheck(ILocalSiloDetails silo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {silo.SiloAddress} is active")
            : HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} is {status}, not an active member of the cluster"));
    }
}
