using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.TelemetryIngress.Tests.Security;

public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bc-pki-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Check_IssuedGatewayCertificate_YieldsItsEnvironmentAndGateway()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        var issued = ca.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));

        using var cert = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        var check = ca.Check(cert);

        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), check.Identity);
    }

    [Fact]
    public void LoadOrCreate_SecondStart_LoadsTheSameCaAndKeepsTheKeyPrivate()
    {
        using var first = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        using var second = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);

        Assert.Equal(first.Certificate.Thumbprint, second.Certificate.Thumbprint);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "pki", "ca.key.pem")));
    }

    [Fact]
    public void Check_CertificateFromAnotherCa_IsUnauthenticated()
    {
        using var ours = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        using var theirs = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir + "-other", TimeProvider.System);
        var foreign = theirs.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));

        using var cert = X509Certificate2.CreateFromPem(foreign.CertificatePem, foreign.PrivateKeyPem);
        var check = ours.Check(cert);

        Assert.Null(check.Identity);
        Assert.Equal(401, check.StatusCode);
        Assert.Equal("the client certificate was not issued by this cluster's CA", check.Error);
        Directory.Delete(_dir + "-other", recursive: true);
    }

    [Fact]
    public void Check_ExpiredCertificate_IsUnauthenticated()
    {
        var clock = new ShiftedTime(TimeSpan.Zero);
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, clock);
        var issued = ca.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(1));
        clock.Shift = TimeSpan.FromDays(2);

        using var cert = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        var check = ca.Check(cert);

        Assert.Equal(401, check.StatusCode);
        Assert.StartsWith("the client certificate is not valid now", check.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_CertificateAcceptedOnAConnection_IsRefusedOnceItExpires()
    {
        // The verdict is kept per certificate object (one per connection); it must not outlive the certificate.
        var clock = new ShiftedTime(TimeSpan.Zero);
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, clock);
        var issued = ca.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(1));
        using var cert = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), ca.Check(cert).Identity);
        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), ca.Check(cert).Identity);

        clock.Shift = TimeSpan.FromDays(2);
        var check = ca.Check(cert);

        Assert.Equal(401, check.StatusCode);
        Assert.StartsWith("the client certificate is not valid now", check.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "x-aisix://dp/dp-1", "the client certificate has no 'x-aisix://env/<environment_id>' URI SAN")]
    [InlineData("x-aisix://env/env-a", null, "the client certificate has no 'x-aisix://dp/<dp_id>' URI SAN")]
    [InlineData(null, null, "the client certificate has no 'x-aisix://env/<environment_id>' URI SAN")]
    public void Check_CertificateWithoutAGatewaySan_IsForbidden(string? envSan, string? dpSan, string expected)
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        using var cert = SignedByCa(ca, envSan, dpSan);

        var check = ca.Check(cert);

        Assert.Equal(403, check.StatusCode);
        Assert.Equal(expected, check.Error);
    }

    [Fact]
    public void Check_NoCertificate_IsUnauthenticated()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);

        Assert.Equal(401, ca.Check(null).StatusCode);
    }

    [Fact]
    public void LoadOrCreateServerCertificate_CoversLocalhostAndLoopbackAndChainsToTheCa()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        using var server = ca.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir);

        var names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Loopback, names.EnumerateIPAddresses());
        Assert.Equal(ca.Certificate.Subject, server.Issuer);
        Assert.True(server.HasPrivateKey);
    }

    [Theory]
    [InlineData("ca.crt.pem")]
    [InlineData("ca.key.pem")]
    public void LoadOrCreate_OnlyOneCaFileLeft_RefusesToStart(string missing)
    {
        using (CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System))
        {
        }

        File.Delete(Path.Combine(_dir, "pki", missing));

        var error = Assert.Throws<InvalidOperationException>(() => CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System));
        Assert.Contains("Only one of", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_KeyPathWithoutCertificatePath_RefusesToStart()
    {
        var options = new DataPlaneOptions { CaKeyPath = "/tmp/some.key.pem" };

        Assert.Throws<InvalidOperationException>(() => CertificateAuthority.LoadOrCreate(options, _dir, TimeProvider.System));
    }

    [Fact]
    public void LoadOrCreateServerCertificate_AfterANewCa_IsReissuedByIt()
    {
        using (var first = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System))
        using (first.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir))
        {
        }

        File.Delete(Path.Combine(_dir, "pki", "ca.crt.pem"));
        File.Delete(Path.Combine(_dir, "pki", "ca.key.pem"));
        using var second = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
        using var server = second.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(second.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(server));
    }

    [Fact]
    public void IssueGatewayCertificate_ReportsTheCertificatesOwnExpiry()
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);

        var issued = ca.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));

        using var cert = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal(new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero), issued.ExpiresAt);
        Assert.Equal(0, issued.ExpiresAt.Millisecond);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>A certificate our CA signed, with only the given URI SANs: what a mis-issued certificate looks like.</summary>
    internal static X509Certificate2 SignedByCa(CertificateAuthority ca, params string?[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=odd", key, HashAlgorithmName.SHA256);
        var present = uris.Where(u => u is not null).ToList();
        if (present.Count > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            present.ForEach(u => names.AddUri(new Uri(u!)));
            request.CertificateExtensions.Add(names.Build());
        }

        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(ca.Certificate, now.AddMinutes(-1), now.AddDays(1), [1, 2, 3, 4]);
        return cert.CopyWithPrivateKey(key);
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public TimeSpan Shift { get; set; } = shift;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
