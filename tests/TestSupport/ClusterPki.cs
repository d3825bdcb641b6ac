using System.Security.Cryptography.X509Certificates;

namespace BudgetCluster.TestSupport;

/// <summary>
/// A CA for the cluster's own ports (<c>Orleans:Tls</c>) and the certificates it issues, written
/// as PEM files under a directory: what an operator hands each silo and ingress.
/// </summary>
public sealed class ClusterPki
{
    private readonly X509Certificate2 _ca;

    public ClusterPki(string directory, string name = "cluster")
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _ca = new OddCertificate { Subject = $"CN={name} CA", IsAuthority = true, Usages = null, NotAfter = TestClock.Now.AddDays(30) }.SelfSigned();
        CaPath = Path.Combine(directory, $"{name}-ca.crt.pem");
        File.WriteAllText(CaPath, _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    public string CaPath { get; }

    /// <summary>Issues a certificate (both usages unless told) and writes it and its key; returns their paths.</summary>
    public (string Certificate, string Key) Issue(string member, IReadOnlyList<string>? usages = null)
    {
        using var issued = new OddCertificate { Subject = $"CN={member}", Usages = usages ?? [OddCertificate.ClientAuth, OddCertificate.ServerAuth] }.SignedBy(_ca);
        var certificate = Path.Combine(Directory, $"{member}.crt.pem");
        var key = Path.Combine(Directory, $"{member}.key.pem");
        File.WriteAllText(certificate, issued.ExportCertificatePem());
        File.WriteAllText(key, issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificate, key);
    }

    /// <summary>The <c>Orleans:Tls</c> settings of a member, as command-line arguments.</summary>
    public IEnumerable<string> Arguments(string member)
    {
        var (certificate, key) = Issue(member);
        return [$"--Orleans:Tls:CertificatePath={certificate}", $"--Orleans:Tls:KeyPath={key}", $"--Orleans:Tls:CaCertificatePath={CaPath}"];
    }
}
