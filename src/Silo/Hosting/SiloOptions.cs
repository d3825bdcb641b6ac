namespace BudgetCluster.Silo.Hosting;

/// <summary>Configuration section <c>Orleans</c>: the silo's identity and ports.</summary>
public sealed class SiloOptions
{
    public const string SectionName = "Orleans";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    public string ClusterId { get; set; } = "budgetcluster";

    public string ServiceId { get; set; } = "budgetcluster";
}
