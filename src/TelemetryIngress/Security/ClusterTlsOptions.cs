namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// Configuration section <c>Orleans:Tls</c>: mutual TLS on the cluster's own ports (silo to silo,
/// and ingress clients to the silos' gateway port). Off while <see cref="CertificatePath"/> is
/// unset, as in the embedded default, whose ports listen on loopback only.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string SectionName = "Orleans:Tls";

    /// <summary>PEM certificate this process presents to the others; issued by <see cref="CaCertificatePath"/>, with client and server authentication usages.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>; unset when the certificate file holds it.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM certificate of the CA that issues the cluster's certificates, and nothing else: whatever it signed may call any grain.</summary>
    public string? CaCertificatePath { get; set; }
}
