using Orleans.Streams;

namespace BudgetCluster.Grains.Streams;

/// <summary>
/// A stream publish that gives up after <see cref="Timeout"/> instead of Orleans' response timeout
/// (30 s). Right after a silo dies, a publish can wait on a directory lookup owned by the dead
/// silo that no membership change breaks; a grain awaiting it would answer nothing else for
/// 30 s, and its event would reach subscribers only after that. Callers treat the timeout as a
/// failed publish and send the event again, so it may arrive twice: consumers keep each
/// transition version once.
/// </summary>
internal static class BoundedPublish
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <exception cref="TimeoutException">The publish did not complete within <see cref="Timeout"/>.</exception>
    public static Task PublishAsync<T>(this IAsyncStream<T> stream, T item) =>
        stream.OnNextAsync(item).WaitAsync(Timeout, TimeProvider.System);
}
