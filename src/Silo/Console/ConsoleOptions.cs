namespace BudgetCluster.Silo.Console;

/// <summary>The console's settings (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>The gateways' heartbeat interval: a gateway whose newest heartbeat is older than twice this is flagged silent.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);
}
