using BudgetCluster.Grains.Ledger;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BudgetCluster.Silo.Health;

/// <summary>Ready only when the ledger could take an append now (<see cref="IUsageLedger.ProbeWriteAsync"/>) within the check's timeout.</summary>
internal sealed class LedgerWriteCheck(IUsageLedger ledger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ledger.ProbeWriteAsync(cancellationToken);
            return HealthCheckResult.Healthy("the ledger takes writes");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the ledger does not take writes: {ex.Message}");
        }
    }
}
