using BudgetCluster.TelemetryIngress.Health;

namespace BudgetCluster.Silo.Health;

/// <summary>
/// A silo's <c>/readyz</c>: it has joined its cluster, the ledger takes a write, and its data plane
/// (when it co-hosts one) listens.
/// </summary>
public static class SiloReadiness
{
    public static IServiceCollection AddSiloReadiness(this IServiceCollection services)
    {
        services.AddReadiness()
            .AddCheck<SiloJoinedCheck>("silo", timeout: Readiness.CheckTimeout)
            .AddCheck<LedgerWriteCheck>("ledger", timeout: Readiness.CheckTimeout);
        return services;
    }
}
