namespace BudgetCluster.TelemetryIngress.Heartbeats;

/// <summary>A heartbeat as AISIX sends it; unknown fields are ignored.</summary>
internal sealed class HeartbeatDto
{
    public string? DpId { get; set; }
    public string? InstanceId { get; set; }
    public string? Hostname { get; set; }
    public long? UptimeSeconds { get; set; }
    public string? Version { get; set; }
    public long? AppliedRevision { get; set; }
    public string? ConfigHash { get; set; }
}
