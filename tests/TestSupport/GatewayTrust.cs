using System.Security.Cryptography.X509Certificates;

namespace BudgetCluster.TestSupport;

/// <summary>What a gateway trusts for the data plane's server certificate: the cluster's CA and nothing else.</summary>
public static class GatewayTrust
{
    /// <summary>Whether <paramref name="presented"/> chains to <paramref name="ca"/> at <paramref name="at"/> (the test clock's now when null).</summary>
    public static bool ChainsTo(X509Certificate? presented, X509Certificate2 ca, DateTimeOffset? at = null)
    {
        if (presented is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = (at ?? TestClock.Now).UtcDateTime;
        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }
}
