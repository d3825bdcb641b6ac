namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>Where budget events are published: one stream per organization.</summary>
public static class BudgetStreams
{
    /// <summary>The Orleans stream provider name.</summary>
    public const string Provider = "budgets";

    /// <summary>The stream namespace; the stream key is the org id.</summary>
    public const string Namespace = "budget-events";

    /// <summary>How often a silo's pulling agents look for new transitions in their queues.</summary>
    public static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(5);

    /// <summary>Queues of the provider (Orleans' default is 8); every queue is polled every <see cref="PollPeriod"/>.</summary>
    public const int Queues = 2;
}
