using System.Collections.Concurrent;
using Orleans.Storage;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// Orleans' memory grain storage with faults a test switches on for one grain: writes that take
/// long (a storage under load) or fail (a storage that is down). Every other grain is untouched.
/// </summary>
public sealed class FaultyGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private static readonly ConcurrentDictionary<GrainId, Fault> Faults = new();

    public static void SlowWrites(GrainId grain, TimeSpan delay) => Faults[grain] = new Fault(delay, Fail: false);

    public static void FailWrites(GrainId grain) => Faults[grain] = new Fault(TimeSpan.Zero, Fail: true);

    public static void Heal(GrainId grain) => Faults.TryRemove(grain, out _);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Faults.TryGetValue(grainId, out var fault))
        {
            await Task.Delay(fault.Delay);
            if (fault.Fail)
            {
                throw new InvalidOperationException($"storage of {grainId} is failing (test fault)");
            }
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    private sealed record Fault(TimeSpan Delay, bool Fail);
}
