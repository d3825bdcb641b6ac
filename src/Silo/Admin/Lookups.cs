using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>Existence checks the admin endpoints share, each with the one 404 message for it.</summary>
public static class Lookups
{
    /// <summary>A 404 naming the environment when it was never created, else null.</summary>
    public static async Task<IResult?> EnvironmentMissingAsync(IGrainFactory grains, string environmentId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return await grains.GetGrain<IEnvironmentGrain>(environmentId).GetEnvironmentAsync() is null
            ? Problems.NotFound($"environment '{environmentId}' not found")
            : null;
    }
}
