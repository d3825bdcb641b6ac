namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>A gateway certificate as handed to its operator: its serial (lowercase hex), PEM texts and validity.</summary>
public sealed record IssuedCertificate(
    string Serial,
    DateTimeOffset NotBefore,
    string DpId,
    string CertificatePem,
    string PrivateKeyPem,
    string CaPem,
    DateTimeOffset ExpiresAt);
