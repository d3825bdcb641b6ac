using System.Diagnostics.Metrics;

namespace BudgetCluster.Grains.Notifications;

/// <summary>Webhook deliveries, on the <see cref="MeterName"/> meter.</summary>
public static class NotificationMetrics
{
    public const string MeterName = "BudgetCluster.Notifications";

    /// <summary>The endpoint answered 2xx.</summary>
    public const string Delivered = "delivered";

    /// <summary>The attempt failed; another is scheduled.</summary>
    public const string Retrying = "retrying";

    /// <summary>The attempt failed and the 3 days of retries are over.</summary>
    public const string Failed = "failed";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "budgetcluster.webhook.attempts", "{attempt}", "Webhook delivery attempts by outcome: delivered, retrying, failed (for good).");

    internal static void Attempted(string outcome) => Attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
