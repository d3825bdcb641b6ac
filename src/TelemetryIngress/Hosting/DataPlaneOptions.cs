namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>Configuration section <c>DataPlane</c>: the gateway-facing mTLS listener.</summary>
public sealed class DataPlaneOptions
{
    public const string SectionName = "DataPlane";

    /// <summary>Whether a silo co-hosts the data plane; production silos behind separate ingress processes turn it off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the data plane listens; always HTTPS with required client certificates.</summary>
    public string Url { get; set; } = "https://127.0.0.1:7944";

    /// <summary>Largest request body on the wire (compressed, when gzip); larger bodies get 413.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest body after gzip decompression; protects against compression bombs (413).</summary>
    public long MaxDecompressedBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most events in one telemetry batch; more get 413.</summary>
    public int MaxEventsPerBatch { get; set; } = 1000;

    /// <summary>How far in the future an event's <c>occurred_at</c> may be before it is rejected.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far in the past an event's <c>occurred_at</c> may be before it is rejected. Budgets only
    /// look at their current and previous periods, and bounding the age keeps every accepted time
    /// far inside what period arithmetic and the ledger's partitions handle (see <see cref="DataPlaneOptionsValidator"/>).
    /// </summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(35);

    /// <summary>The <c>Retry-After</c> seconds of a 503 answer.</summary>
    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Most <c>/dp/budget_events</c> streams one gateway holds open on one data-plane process; one more is 429.</summary>
    public int MaxStreamsPerGateway { get; set; } = 8;

    /// <summary>
    /// Most <c>/dp/telemetry</c> requests one gateway (all its instances, which share its certificate)
    /// has in progress on one data-plane process, its bodies' uploads included; one more is 429 with
    /// <c>Retry-After</c>, and the others' requests go on.
    /// </summary>
    public int MaxTelemetryInFlightPerGateway { get; set; } = 16;

    /// <summary>
    /// Most connections one data-plane process holds open at once (Kestrel's
    /// <c>MaxConcurrentConnections</c>); one more is closed as it arrives. Each gateway instance
    /// holds a few (telemetry, budget checks, an event stream).
    /// </summary>
    public long MaxConnections { get; set; } = 10_000;

    /// <summary>PEM of the CA that issues gateway certificates; created under the data directory when unset.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>PEM private key of the CA; needed to issue gateway certificates.</summary>
    public string? CaKeyPath { get; set; }

    /// <summary>PEM of the data plane's server certificate; created (signed by the CA) when unset.</summary>
    public string? ServerCertificatePath { get; set; }

    /// <summary>PEM private key of the server certificate.</summary>
    public string? ServerKeyPath { get; set; }

    /// <summary>
    /// How often the data plane loads its server certificate again: a silo renews the one it issued
    /// when under 30 days are left, an ingress re-reads the files, both re-read a configured pair.
    /// </summary>
    public TimeSpan ServerCertificateCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Validity of gateway certificates issued by the admin API.</summary>
    public TimeSpan GatewayCertificateValidity { get; set; } = TimeSpan.FromDays(365);
}
