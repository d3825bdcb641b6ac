using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TestSupport;

namespace BudgetCluster.TelemetryIngress.Tests.Security;

/// <summary>The server certificate replaced while the data plane runs: renewed by a silo, re-read by an ingress.</summary>
public sealed class ServerCertificateSourceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bc-renew-" + Guid.NewGuid().ToString("N"));
    private readonly MovableClock _clock = new();

    [Fact]
    public void Refresh_WhileTheCertificateHasMoreThan30DaysLeft_KeepsServingIt()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, _clock);
        var source = new ServerCertificateSource(() => ca.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir));
        var first = source.Current;
        _clock.Advance(TimeSpan.FromDays(300));

        Assert.Null(source.Refresh());
        Assert.Equal(first.Thumbprint, source.Current.Thumbprint);
    }

    [Fact]
    public void Refresh_OnASiloNearTheEnd_RenewsIt_AndAnIngressOnTheSameFilesServesTheNewOne()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, _clock);
        var silo = new ServerCertificateSource(() => ca.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir));
        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _dir, _clock);
        var ingress = new ServerCertificateSource(() => verifier.LoadServerCertificate(new DataPlaneOptions(), _dir));
        var first = silo.Current;
        _clock.Advance(TimeSpan.FromDays(340));

        var replaced = silo.Refresh();
        var ingressReplaced = ingress.Refresh();

        Assert.Equal(first.Thumbprint, replaced?.Thumbprint);
        Assert.NotEqual(first.SerialNumber, silo.Current.SerialNumber);
        Assert.True(silo.Current.NotAfter > first.NotAfter.AddDays(300));
        Assert.True(GatewayTrust.ChainsTo(silo.Current, ca.Certificate, _clock.GetUtcNow()));
        Assert.True(silo.Current.HasPrivateKey);
        Assert.Equal(first.Thumbprint, ingressReplaced?.Thumbprint);
        Assert.Equal(silo.Current.Thumbprint, ingress.Current.Thumbprint);
    }

    [Fact]
    public void Refresh_FilesReplacedByAPairOfAnotherCa_Throws_AndKeepsServingTheOldOne()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, _clock);
        using (ca.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir))
        {
        }

        using var verifier = CertificateAuthority.LoadForVerification(new DataPlaneOptions(), _dir, _clock);
        var ingress = new ServerCertificateSource(() => verifier.LoadServerCertificate(new DataPlaneOptions(), _dir));
        var served = ingress.Current.Thumbprint;
        var other = _dir + "-other";
        using (var otherCa = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), other, _clock))
        using (otherCa.LoadOrCreateServerCertificate(new DataPlaneOptions(), other))
        {
        }

        foreach (var file in new[] { "server.crt.pem", "server.key.pem" })
        {
            File.Copy(Path.Combine(other, "pki", file), Path.Combine(_dir, "pki", file), overwrite: true);
        }

        var error = Assert.Throws<InvalidOperationException>(() => ingress.Refresh());
        Assert.StartsWith($"The server certificate at {Path.Combine(_dir, "pki", "server.crt.pem")} was not issued by the CA this ingress trusts", error.Message, StringComparison.Ordinal);
        Assert.Equal(served, ingress.Current.Thumbprint);
        Directory.Delete(other, recursive: true);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
