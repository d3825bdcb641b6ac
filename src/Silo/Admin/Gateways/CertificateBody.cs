namespace BudgetCluster.Silo.Admin.Gateways;

/// <summary><c>POST /environments/{environment_id}/gateway-certificates</c> body; every field optional.</summary>
public sealed class CertificateBody
{
    public string? DpId { get; set; }
}
