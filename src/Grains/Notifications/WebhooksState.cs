namespace BudgetCluster.Grains.Notifications;

/// <summary>Persisted state of a <see cref="WebhooksGrain"/>.</summary>
[GenerateSerializer]
[Alias("budgetcluster.webhooks-state.v1")]
public sealed class WebhooksState
{
    [Id(0)] public SortedDictionary<string, StoredEndpoint> Endpoints { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Deliveries not yet made, in the order they were queued.</summary>
    [Id(1)] public List<PendingDelivery> Queue { get; set; } = [];
    /// <summary>Per budget, the highest transition version taken: a budget's outbox handed over again adds nothing.</summary>
    [Id(2)] public Dictionary<string, long> BudgetVersions { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Numbers the test events.</summary>
    [Id(3)] public long TestEvents { get; set; }
    /// <summary>The <c>budget.forecast</c> events taken (one per budget and period, not versioned), with when: kept 40 days.</summary>
    [Id(4)] public Dictionary<string, DateTimeOffset> Forecasts { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Per budget, the version up to which it announced notifications not yet taken (see <c>ExpectAsync</c>).</summary>
    [Id(5)] public Dictionary<string, long> Expected { get; set; } = new(StringComparer.Ordinal);
}
