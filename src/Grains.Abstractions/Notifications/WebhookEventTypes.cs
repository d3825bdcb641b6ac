using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Notifications;

/// <summary>The <c>type</c> of a webhook event (API.md §10).</summary>
public static class WebhookEventTypes
{
    public const string Threshold = "budget.threshold";
    public const string Exceeded = "budget.exceeded";
    public const string Cleared = "budget.cleared";
    public const string Forecast = "budget.forecast";
    public const string Test = "webhook.test";

    /// <summary>What an endpoint can subscribe to (a test event goes to the endpoint asked, whatever it subscribed to).</summary>
    public static ImmutableArray<string> Subscribable { get; } = [Threshold, Exceeded, Cleared, Forecast];
}
