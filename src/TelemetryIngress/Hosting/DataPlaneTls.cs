using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>The certificates the data plane listener needs: its own (renewable while it runs), and the CA it trusts for clients.</summary>
public sealed record DataPlaneTls(CertificateAuthority Authority, ServerCertificateSource ServerCertificate);
