namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>A gateway certificate as handed to its operator: PEM texts and expiry.</summary>
public sealed record IssuedCertificate(
    string DpId,
    string CertificatePem,
    string PrivateKeyPem,
    string CaPem,
    DateTimeOffset ExpiresAt);
