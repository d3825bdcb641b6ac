namespace BudgetCluster.Silo.Notifications;

/// <summary>Configuration section <c>Webhooks</c> (API.md §10).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>Allows <c>http://</c> endpoint URLs (for a receiver on a private network or in tests).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allows endpoints on loopback, private and link-local addresses (see <see cref="Grains.Notifications.NetworkGuard"/>).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take, from connecting to the last byte of the answer's headers.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each silo wakes every org's webhooks, so deliveries queued by a silo that died go on.</summary>
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromMinutes(1);
}
