namespace BudgetCluster.Grains.Gateways;

/// <summary>Configuration section <c>Gateways</c>.</summary>
public sealed class GatewayGrainOptions
{
    public const string SectionName = "Gateways";

    /// <summary>How often a gateway grain with changes persists its snapshot. Bounds the replay on activation.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an acknowledgement waits for its budgets' answers, so that the data plane receiving
    /// a budget-crossing batch denies from the acknowledgement on. A slower budget never holds the
    /// acknowledgement longer: its delta is delivered in the background, exactly once. Zero: never wait.
    /// </summary>
    public TimeSpan BudgetWaitOnAck { get; set; } = TimeSpan.FromMilliseconds(100);
}
