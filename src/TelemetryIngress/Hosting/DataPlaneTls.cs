using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>The certificates the data plane listener needs: its own, and the CA it trusts for clients.</summary>
public sealed record DataPlaneTls(CertificateAuthority Authority, X509Certificate2 ServerCertificate);
