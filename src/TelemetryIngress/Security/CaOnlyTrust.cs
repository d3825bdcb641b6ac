using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// Chains that trust one CA and nothing else: no system roots, never a certificate download (a
/// peer's certificate could otherwise point the builder at any URL through its AIA extension),
/// and no revocation lookups (the cluster's CAs publish no CRL). The gateways' CA and the
/// cluster's CA are both judged this way.
/// </summary>
internal static class CaOnlyTrust
{
    /// <summary>The policy alone, as a TLS handshake takes it (which builds as of now).</summary>
    public static X509ChainPolicy Policy(X509Certificate2 ca)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        return policy;
    }

    /// <summary>A chain with that policy as of <paramref name="at"/>, requiring <paramref name="usage"/> (an extended key usage) when given.</summary>
    public static X509Chain Chain(X509Certificate2 ca, DateTimeOffset at, string? usage = null)
    {
        var policy = Policy(ca);
        if (usage is not null)
        {
            policy.ApplicationPolicy.Add(new Oid(usage));
        }

        policy.VerificationTime = at.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        return new X509Chain { ChainPolicy = policy };
    }
}
