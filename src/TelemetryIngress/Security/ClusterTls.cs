using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Orleans.Connections.Security;

namespace BudgetCluster.TelemetryIngress.Security;

/// <summary>
/// Mutual TLS on the cluster's ports (<c>Microsoft.Orleans.Connections.Security</c>): every silo and
/// ingress client presents a certificate of the cluster's CA and accepts only peers that do, so
/// reaching port 11111 or 30000 is not enough to call a grain. The peer is judged by its chain to
/// that CA alone (no system roots, no downloads); host names are not checked, because silos
/// address each other by IP from the membership table.
/// </summary>
public sealed class ClusterTls
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private ClusterTls(X509Certificate2 certificate, X509Certificate2 ca, TimeProvider time)
    {
        Certificate = certificate;
        Ca = ca;
        Time = time;
    }

    public X509Certificate2 Certificate { get; }

    public X509Certificate2 Ca { get; }

    private TimeProvider Time { get; }

    /// <summary>
    /// The configured TLS, or null when <c>Orleans:Tls:CertificatePath</c> is unset. Refuses a
    /// half configuration, missing files, a certificate without its key or usages, and one the CA did not issue.
    /// </summary>
    public static ClusterTls? FromConfiguration(IConfiguration configuration, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(ClusterTlsOptions.SectionName).Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();
        if (options.CertificatePath is null)
        {
            return options.CaCertificatePath is null && options.KeyPath is null
                ? null
                : throw new InvalidOperationException(
                    "Orleans:Tls:CaCertificatePath or Orleans:Tls:KeyPath is set without Orleans:Tls:CertificatePath: set all of the cluster's TLS, or none");
        }

        if (options.CaCertificatePath is null)
        {
            throw new InvalidOperationException("Orleans:Tls:CertificatePath is set without Orleans:Tls:CaCertificatePath, the CA that peers' certificates must chain to");
        }

        foreach (var path in new[] { options.CertificatePath, options.KeyPath, options.CaCertificatePath })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new InvalidOperationException($"The cluster TLS file {path} (Orleans:Tls) does not exist");
            }
        }

        var certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath);
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(options.CaCertificatePath));
        var tls = new ClusterTls(certificate, ca, time);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"The cluster certificate {options.CertificatePath} has no private key: set Orleans:Tls:KeyPath");
        }

        if (!HasUsage(certificate, ClientAuthOid) || !HasUsage(certificate, ServerAuthOid))
        {
            throw new InvalidOperationException(
                $"The cluster certificate {options.CertificatePath} must allow both client and server authentication: a silo both accepts and opens connections");
        }

        if (!tls.Accepts(certificate))
        {
            throw new InvalidOperationException(
                $"The cluster certificate {options.CertificatePath} does not chain to the CA {options.CaCertificatePath} (or is not valid now)");
        }

        return tls;
    }

    /// <summary>Both directions: the certificate presented, a peer's required, and judged by <see cref="Accepts"/>.</summary>
    public void Configure(TlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, _, _) => Accepts(certificate);
        options.OnAuthenticateAsClient = (_, client) => client.TargetHost = "budgetcluster";
    }

    /// <summary>Whether <paramref name="peer"/> chains to the cluster's CA now.</summary>
    public bool Accepts(X509Certificate2 peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        using var chain = CaOnlyTrust.Chain(Ca, Time.GetUtcNow());
        return chain.Build(peer);
    }

    private static bool HasUsage(X509Certificate2 certificate, string oid) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault() is not { } usages
        || usages.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(usage => usage.Value == oid);
}
