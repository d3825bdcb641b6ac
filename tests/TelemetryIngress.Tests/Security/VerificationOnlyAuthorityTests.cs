using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.TelemetryIngress.Tests.Security;

/// <summary>The CA as an ingress holds it: the certificate only, loaded from what a silo created.</summary>
public sealed class VerificationOnlyAuthorityTests : IDisposable
{
    private readonly string _silo = Path.Combine(Path.GetTempPath(), "bc-pki-silo-" + Guid.NewGuid().ToString("N"));
    private readonly string _ingress = Path.Combine(Path.GetTempPath(), "bc-pki-ingress-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void LoadForVerification_HoldsNoKey_VerifiesWhatTheSiloIssued_AndCannotIssue()
    {
        using var issuer = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _silo, TimeProvider.System);
        var issued = issuer.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));
        CopyToIngress("ca.crt.pem");

        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _ingress, TimeProvider.System);
        using var gateway = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);

        Assert.False(verifier.Certificate.HasPrivateKey);
        Assert.False(verifier.CanIssue);
        Assert.Equal(issuer.Certificate.Thumbprint, verifier.Certificate.Thumbprint);
        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), verifier.Check(gateway).Identity);
        Assert.Throws<InvalidOperationException>(() => verifier.IssueGatewayCertificate("env-a", "dp-2", TimeSpan.FromDays(1)));
    }

    [Fact]
    public void LoadForVerification_FromAConfiguredFileThatAlsoHoldsTheKey_KeepsTheCertificateOnly()
    {
        using (CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _silo, TimeProvider.System))
        {
        }

        var both = Path.Combine(_silo, "pki", "ca.both.pem");
        File.WriteAllText(both, File.ReadAllText(Path.Combine(_silo, "pki", "ca.crt.pem")) + "\n" + File.ReadAllText(Path.Combine(_silo, "pki", "ca.key.pem")));

        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions { CaCertificatePath = both }, _ingress, TimeProvider.System);

        Assert.False(verifier.Certificate.HasPrivateKey);
    }

    [Fact]
    public void LoadForVerification_OnAnEmptyDirectory_SaysWhatIsMissingAndCreatesNothing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _ingress, TimeProvider.System));

        Assert.Equal(
            $"There is no CA certificate at {Path.Combine(_ingress, "pki", "ca.crt.pem")}. Start a silo on this data directory first (it creates the CA), or set DataPlane:CaCertificatePath to a copy of the silos' CA certificate.",
            error.Message);
        Assert.False(Directory.Exists(_ingress));
    }

    [Fact]
    public void LoadForVerification_WithACaKey_IsRefused()
    {
        var options = new DataPlaneOptions { CaCertificatePath = "ca.crt.pem", CaKeyPath = "ca.key.pem" };

        var error = Assert.Throws<InvalidOperationException>(() => CertificateAuthority.LoadForVerification(options, _ingress, TimeProvider.System));

        Assert.StartsWith("DataPlane:CaKeyPath is set, but an ingress verifies gateway certificates with the CA certificate alone", error.Message);
    }

    [Fact]
    public void LoadServerCertificate_TakesTheSilosPair_WithItsKey()
    {
        using (var issuer = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _silo, TimeProvider.System))
        using (issuer.LoadOrCreateServerCertificate(new DataPlaneOptions(), _silo))
        {
        }

        CopyToIngress("ca.crt.pem", "server.crt.pem", "server.key.pem");
        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _ingress, TimeProvider.System);
        using var server = verifier.LoadServerCertificate(new DataPlaneOptions(), _ingress);

        Assert.True(server.HasPrivateKey);
        Assert.Equal(verifier.Certificate.Subject, server.Issuer);
    }

    [Fact]
    public void LoadServerCertificate_Missing_SaysWhereAndHow()
    {
        using (CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _silo, TimeProvider.System))
        {
        }

        CopyToIngress("ca.crt.pem");
        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _ingress, TimeProvider.System);

        var error = Assert.Throws<InvalidOperationException>(() => verifier.LoadServerCertificate(new DataPlaneOptions(), _ingress));

        Assert.StartsWith($"There is no server certificate at {Path.Combine(_ingress, "pki", "server.crt.pem")}", error.Message);
        Assert.Contains("DataPlane:ServerCertificatePath", error.Message);
    }

    [Fact]
    public void LoadServerCertificate_IssuedByAnotherCa_IsRefused()
    {
        var other = _silo + "-other";
        try
        {
            using (var theirs = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), other, TimeProvider.System))
            using (theirs.LoadOrCreateServerCertificate(new DataPlaneOptions(), other))
            using (CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _silo, TimeProvider.System))
            {
            }

            CopyToIngress("ca.crt.pem");
            File.Copy(Path.Combine(other, "pki", "server.crt.pem"), Path.Combine(_ingress, "pki", "server.crt.pem"));
            File.Copy(Path.Combine(other, "pki", "server.key.pem"), Path.Combine(_ingress, "pki", "server.key.pem"));
            using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _ingress, TimeProvider.System);

            var error = Assert.Throws<InvalidOperationException>(() => verifier.LoadServerCertificate(new DataPlaneOptions(), _ingress));

            Assert.Contains("was not issued by the CA this ingress trusts", error.Message);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    private void CopyToIngress(params string[] files)
    {
        Directory.CreateDirectory(Path.Combine(_ingress, "pki"));
        foreach (var file in files)
        {
            File.Copy(Path.Combine(_silo, "pki", file), Path.Combine(_ingress, "pki", file));
        }
    }

    public void Dispose()
    {
        foreach (var directory in new[] { _silo, _ingress })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
