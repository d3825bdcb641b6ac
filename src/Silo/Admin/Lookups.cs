using System.Collections.Immutable;
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

    /// <summary>
    /// The environments of an org, for a read filtered by <paramref name="requested"/>: a 404 when
    /// the org was never created, a 400 naming <c>environment_id</c> when a requested one is not the org's.
    /// </summary>
    public static async Task<(ImmutableArray<string> Environments, IResult? Problem)> OrgEnvironmentsAsync(
        IGrainFactory grains, string orgId, ImmutableArray<string> requested)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var org = grains.GetGrain<IOrgGrain>(orgId);
        if (await org.GetOrgAsync() is null)
        {
            return ([], Problems.NotFound($"org '{orgId}' not found"));
        }

        var environments = await org.ListEnvironmentsAsync();
        return requested.FirstOrDefault(id => !environments.Contains(id)) is { } foreign
            ? ([], Problems.BadRequest($"'environment_id' '{foreign}' is not an environment of org '{orgId}'"))
            : (environments, null);
    }
}
