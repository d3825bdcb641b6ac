using System.Threading.Channels;
using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>One SSE client's feed: a snapshot (null when resuming) and the transitions that follow.</summary>
internal sealed class ViewSubscription(
    OrgBudgetView view,
    Channel<(long Sequence, BudgetEvent Event)> channel,
    IReadOnlyList<BudgetStatus>? snapshot,
    long snapshotSequence) : IDisposable
{
    public IReadOnlyList<BudgetStatus>? Snapshot { get; } = snapshot;

    /// <summary>The sequence the snapshot (or the resumption point) stands at.</summary>
    public long SnapshotSequence { get; } = snapshotSequence;

    public ChannelReader<(long Sequence, BudgetEvent Event)> Transitions => channel.Reader;

    public void Dispose() => view.Unsubscribe(channel);
}
