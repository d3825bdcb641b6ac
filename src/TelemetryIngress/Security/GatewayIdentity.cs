namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>Who is calling the data plane, read from the verified client certificate's URI SANs.</summary>
public sealed record GatewayIdentity(string EnvironmentId, string DpId)
{
    public const string EnvironmentSanPrefix = "x-aisix://env/";
    public const string DataPlaneSanPrefix = "x-aisix://dp/";
}
