using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TestSupport;

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
    public async Task LoadOrCreate_ManyStartsAtOnceOnAnEmptyDirectory_AllHoldOneCaAndOneServerCertificate()
    {
        // Processes sharing a data directory and starting together: each must end with the same
        // CA, and its key file must belong to its certificate file (CreateFromPemFile checks).
        var starts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
            return (Ca: ca, Server: ca.LoadOrCreateServerCertificate(new DataPlaneOptions(), _dir));
        })));
        try
        {
            Assert.Single(starts.Select(start => start.Ca.Certificate.Thumbprint).Distinct());
            Assert.Single(starts.Select(start => start.Server.Thumbprint).Distinct());
            using var reloaded = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TimeProvider.System);
            Assert.Equal(starts[0].Ca.Certificate.Thumbprint, reloaded.Certificate.Thumbprint);
            Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "pki"), "*.tmp"));
        }
        finally
        {
            foreach (var (ca, server) in starts)
            {
                server.Dispose();
                ca.Dispose();
            }
        }
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

    [Theory]
    [InlineData(null)]
    [InlineData(OddCertificate.ServerAuth)]
    public void Check_CertificateNotForClientAuthentication_IsUnauthenticated(string? usage)
    {
        // Without the extension a certificate is good for any usage (RFC 5280), and the chain
        // accepts it: this CA marks every gateway certificate, so one without is not one.
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TestClock.Provider);
        using var cert = new OddCertificate { Uris = ["x-aisix://env/env-a", "x-aisix://dp/dp-1"], Usages = usage is null ? null : [usage] }
            .SignedBy(ca.Certificate);

        var check = ca.Check(cert);

        Assert.Equal(401, check.StatusCode);
        Assert.Equal("the client certificate is not for client authentication (it lacks the clientAuth extended key usage)", check.Error);
    }

    [Theory]
    [InlineData("x-aisix://env/env-a", "x-aisix://dp/dp-1/../dp-2", "x-aisix://dp/")]
    [InlineData("x-aisix://env/env-a", "x-aisix://dp/dp-1\\0", "x-aisix://dp/")]
    [InlineData("x-aisix://env/env a", "x-aisix://dp/dp-1", "x-aisix://env/")]
    [InlineData("x-aisix://env/env-a\\n", "x-aisix://dp/dp-1", "x-aisix://env/")]
    public void Check_GatewaySanThatIsNotAnId_IsForbidden(string environmentSan, string dpSan, string named)
    {
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TestClock.Provider);
        // Written escaped (a NUL has no place in a test's name): "\\0" is a NUL, "\\n" a newline.
        static string Unescaped(string san) => san.Replace("\\0", "\0", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        using var cert = SignedByCa(ca, Unescaped(environmentSan), Unescaped(dpSan));

        var check = ca.Check(cert);

        Assert.Equal(403, check.StatusCode);
        Assert.Equal($"the client certificate's '{named}' URI SAN is not a valid id (1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit)", check.Error);
        using var good = SignedByCa(ca, "x-aisix://env/env-a", "x-aisix://dp/dp-1");
        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), ca.Check(good).Identity);
    }

    [Fact]
    public void Check_RefusedCertificate_IsJudgedOnceAMinuteWhicheverConnectionPresentsIt()
    {
        var clock = new ShiftedTime(TimeSpan.Zero);
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, clock);
        using var theirs = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir + "-other", clock);
        var foreign = theirs.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));

        // Each connection presents its own object of the same certificate.
        for (var connection = 0; connection < 5; connection++)
        {
            using var presented = X509Certificate2.CreateFromPem(foreign.CertificatePem, foreign.PrivateKeyPem);
            Assert.Equal("the client certificate was not issued by this cluster's CA", ca.Check(presented).Error);
        }

        Assert.Equal(1, ca.Evaluations);
        clock.Shift = TimeSpan.FromMinutes(2);
        using var later = X509Certificate2.CreateFromPem(foreign.CertificatePem, foreign.PrivateKeyPem);
        Assert.Equal(401, ca.Check(later).StatusCode);
        Assert.Equal(2, ca.Evaluations);

        // A good certificate is not held up by the refusals.
        var issued = ca.IssueGatewayCertificate("env-a", "dp-1", TimeSpan.FromDays(30));
        using var good = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        Assert.Equal(new GatewayIdentity("env-a", "dp-1"), ca.Check(good).Identity);
    }

    [Fact]
    public async Task Check_CertificateNamingItsIssuersUrl_NeverFetchesIt()
    {
        await using var issuerUrl = await CountingHttpListener.StartAsync();
        using var leaf = new OddCertificate { Uris = ["x-aisix://env/env-a", "x-aisix://dp/dp-1"] }.SignedByAnUnknownIntermediateAt(issuerUrl.Url + "intermediate.crt");
        using var ca = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), _dir, TestClock.Provider);

        var check = ca.Check(leaf);

        Assert.Equal("the client certificate was not issued by this cluster's CA", check.Error);
        Assert.Equal(0, issuerUrl.Requests);
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
    internal static X509Certificate2 SignedByCa(CertificateAuthority ca, params string?[] uris) =>
        new OddCertificate
        {
            Uris = [.. uris.Where(u => u is not null).Select(u => u!)],
            // On the CA's clock, whichever the test gave it.
            NotBefore = ca.Certificate.NotBefore,
            NotAfter = ca.Certificate.NotBefore.AddDays(2),
        }.SignedBy(ca.Certificate);

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public TimeSpan Shift { get; set; } = shift;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
