namespace BudgetCluster.Silo.Hosting;

/// <summary>Configuration section <c>Orleans</c>: the silo's identity and ports.</summary>
public sealed class SiloOptions
{
    public const string SectionName = "Orleans";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    public string ClusterId { get; set; } = "budgetcluster";

    public string ServiceId { get; set; } = "budgetcluster";

    /// <summary>The address other silos and clients reach this silo at (clustered mode).</summary>
    public string AdvertisedIp { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface rather than only the advertised address (clustered mode).</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>How long a silo waits for a probe answer before counting it missed (clustered mode).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
