namespace BudgetCluster.Grains.Gateways;

/// <summary>Configuration section <c>Gateways</c>.</summary>
public sealed class GatewayGrainOptions
{
    public const string SectionName = "Gateways";

    /// <summary>How often a gateway grain with changes persists its snapshot. Bounds the replay on activation.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);
}
