using Orleans.Runtime.Providers;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// How long a budget stream's pulling agent waits before it reads a queue, or delivers to a
/// subscriber, again after a failure: doubling from <paramref name="first"/> up to
/// <paramref name="longest"/>. Orleans' defaults (reads 10 s then 20 s, deliveries up to 30 s)
/// are made for durable queues; a memory queue whose silo was just killed fails a read or two
/// while membership catches up, and with those defaults the survivor then pushed nothing for half
/// a minute. Pushes are the product here, so the agent tries again within a second.
/// </summary>
internal sealed class StreamBackoff(TimeSpan first, TimeSpan longest) : IQueueReaderBackoffProvider, IMessageDeliveryBackoffProvider
{
    public static StreamBackoff Default { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

    public TimeSpan Next(int attempt)
    {
        var ticks = first.Ticks * Math.Pow(2, Math.Clamp(attempt, 0, 30));
        return ticks >= longest.Ticks ? longest : TimeSpan.FromTicks((long)ticks);
    }
}
