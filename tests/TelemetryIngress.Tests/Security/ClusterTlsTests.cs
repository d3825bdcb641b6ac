using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TestSupport;
using Microsoft.Extensions.Configuration;

namespace BudgetCluster.TelemetryIngress.Tests.Security;

/// <summary><c>Orleans:Tls</c> as a process reads it at start: off when unset, refused when it could not work.</summary>
public sealed class ClusterTlsTests : IDisposable
{
    private readonly ClusterPki _pki = new(Path.Combine(Path.GetTempPath(), "bc-cluster-tls-" + Guid.NewGuid().ToString("N")));

    [Fact]
    public void FromConfiguration_Unset_IsOff()
    {
        Assert.Null(ClusterTls.FromConfiguration(Configuration([]), TestClock.Provider));
    }

    [Fact]
    public void FromConfiguration_AMemberOfTheCa_AcceptsItsPeers_AndRefusesAnotherCas()
    {
        var (certificate, key) = _pki.Issue("silo-1");
        var (peer, peerKey) = _pki.Issue("silo-2");
        var elsewhere = new ClusterPki(Path.Combine(_pki.Directory, "elsewhere"), "elsewhere");
        var (stranger, strangerKey) = elsewhere.Issue("stranger");

        var tls = ClusterTls.FromConfiguration(Configuration(certificate, key, _pki.CaPath), TestClock.Provider)!;

        using var peerCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(peer, peerKey);
        using var strangerCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(stranger, strangerKey);
        Assert.True(tls.Accepts(peerCertificate));
        Assert.False(tls.Accepts(strangerCertificate));
    }

    [Fact]
    public void FromConfiguration_WithoutTheCertificate_OrTheCa_IsRefusedNamingWhatIsMissing()
    {
        var half = Assert.Throws<InvalidOperationException>(() =>
            ClusterTls.FromConfiguration(Configuration([new("Orleans:Tls:CaCertificatePath", _pki.CaPath)]), TestClock.Provider));
        var (certificate, key) = _pki.Issue("silo-1");
        var noCa = Assert.Throws<InvalidOperationException>(() =>
            ClusterTls.FromConfiguration(Configuration(certificate, key, null), TestClock.Provider));
        var missing = Assert.Throws<InvalidOperationException>(() =>
            ClusterTls.FromConfiguration(Configuration(certificate, key, _pki.CaPath + ".gone"), TestClock.Provider));

        Assert.Equal("Orleans:Tls:CaCertificatePath or Orleans:Tls:KeyPath is set without Orleans:Tls:CertificatePath: set all of the cluster's TLS, or none", half.Message);
        Assert.Equal("Orleans:Tls:CertificatePath is set without Orleans:Tls:CaCertificatePath, the CA that peers' certificates must chain to", noCa.Message);
        Assert.Equal($"The cluster TLS file {_pki.CaPath}.gone (Orleans:Tls) does not exist", missing.Message);
    }

    [Fact]
    public void FromConfiguration_ACertificateOfAnotherCa_OrWithoutServerUsage_IsRefused()
    {
        var elsewhere = new ClusterPki(Path.Combine(_pki.Directory, "elsewhere"), "elsewhere");
        var (foreign, foreignKey) = elsewhere.Issue("foreign");
        var (clientOnly, clientOnlyKey) = _pki.Issue("client-only", [OddCertificate.ClientAuth]);

        var notOurs = Assert.Throws<InvalidOperationException>(() =>
            ClusterTls.FromConfiguration(Configuration(foreign, foreignKey, _pki.CaPath), TestClock.Provider));
        var oneUsage = Assert.Throws<InvalidOperationException>(() =>
            ClusterTls.FromConfiguration(Configuration(clientOnly, clientOnlyKey, _pki.CaPath), TestClock.Provider));

        Assert.Equal($"The cluster certificate {foreign} does not chain to the CA {_pki.CaPath} (or is not valid now)", notOurs.Message);
        Assert.Equal($"The cluster certificate {clientOnly} must allow both client and server authentication: a silo both accepts and opens connections", oneUsage.Message);
    }

    private static IConfiguration Configuration(string certificate, string key, string? ca) => Configuration(
    [
        new("Orleans:Tls:CertificatePath", certificate),
        new("Orleans:Tls:KeyPath", key),
        new("Orleans:Tls:CaCertificatePath", ca),
    ]);

    private static IConfiguration Configuration(IEnumerable<KeyValuePair<string, string?>> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    public void Dispose() => Directory.Delete(_pki.Directory, recursive: true);
}
