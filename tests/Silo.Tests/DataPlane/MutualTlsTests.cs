using BudgetCluster.TestSupport;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>The data plane admits only certificates this cluster issued, with both gateway SANs.</summary>
public sealed class MutualTlsTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private const string EmptyBatch = "{\"events\": []}";

    [Fact]
    public async Task Telemetry_CertificateIssuedByTheAdminApi_IsAccepted()
    {
        using var world = await silo.OnboardAsync();

        var answer = await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));

        Assert.Equal(1, (int)answer["accepted"]!);
    }

    [Fact]
    public async Task Telemetry_NoClientCertificate_IsRefusedDuringTheHandshake()
    {
        using var world = await silo.OnboardAsync();
        using var anonymous = new GatewayClient(silo.DataPlaneUri, null, silo.Ca, world.EnvironmentId, "dp-none");

        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.PostTelemetryAsync(EmptyBatch));
    }

    [Fact]
    public async Task Telemetry_CertificateFromAnotherCa_Is401()
    {
        using var world = await silo.OnboardAsync();
        var otherDirectory = Path.Combine(Path.GetTempPath(), "bc-other-ca-" + Guid.NewGuid().ToString("N"));
        using var otherCa = CertificateAuthority.LoadOrCreate(new DataPlaneOptions(), otherDirectory, TestClock.Provider);
        var foreign = otherCa.IssueGatewayCertificate(world.EnvironmentId, "dp-east-1", TimeSpan.FromDays(1));
        using var client = new GatewayClient(
            silo.DataPlaneUri, X509Certificate2.CreateFromPem(foreign.CertificatePem, foreign.PrivateKeyPem), silo.Ca, world.EnvironmentId, "dp-east-1");

        using var response = await client.PostTelemetryAsync(world.Fixture("chat-openai.json"));

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("the client certificate was not issued by this cluster's CA", detail);
        Assert.Equal(0, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
        Directory.Delete(otherDirectory, recursive: true);
    }

    [Fact]
    public async Task Telemetry_OurCertificateWithoutTheEnvironmentSan_Is403()
    {
        using var world = await silo.OnboardAsync();
        using var certificate = SignedByClusterCa(null, "x-aisix://dp/dp-east-1");
        using var client = new GatewayClient(silo.DataPlaneUri, certificate, silo.Ca, world.EnvironmentId, "dp-east-1");

        using var response = await client.PostTelemetryAsync(EmptyBatch);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("the client certificate has no 'x-aisix://env/<environment_id>' URI SAN", detail);
    }

    [Fact]
    public async Task Heartbeat_OurCertificateWithoutTheGatewaySan_Is403()
    {
        using var world = await silo.OnboardAsync();
        using var certificate = SignedByClusterCa($"x-aisix://env/{world.EnvironmentId}", null);
        using var client = new GatewayClient(silo.DataPlaneUri, certificate, silo.Ca, world.EnvironmentId, "dp-east-1");

        using var response = await client.PostAsync("/dp/heartbeat", """{"instance_id":"i-1"}""");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("the client certificate has no 'x-aisix://dp/<dp_id>' URI SAN", detail);
    }

    [Fact]
    public async Task Telemetry_ExpiredCertificateOfOurCa_Is401()
    {
        using var world = await silo.OnboardAsync();
        using var expired = SignedByClusterCa(
            TestClock.Now.AddSeconds(-2), $"x-aisix://env/{world.EnvironmentId}", "x-aisix://dp/dp-east-1");
        using var client = new GatewayClient(silo.DataPlaneUri, expired, silo.Ca, world.EnvironmentId, "dp-east-1");

        using var response = await client.PostTelemetryAsync(EmptyBatch);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith("the client certificate is not valid now", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Telemetry_OurCertificateNotForClientAuthentication_Is401_WhileTheGatewaysOwnIsAccepted()
    {
        using var world = await silo.OnboardAsync();
        using var serverOnly = SignedByClusterCa(new OddCertificate
        {
            Uris = [$"x-aisix://env/{world.EnvironmentId}", "x-aisix://dp/dp-east-1"],
            Usages = [OddCertificate.ServerAuth],
        });
        using var client = new GatewayClient(silo.DataPlaneUri, serverOnly, silo.Ca, world.EnvironmentId, "dp-east-1");

        using var response = await client.PostTelemetryAsync(world.Fixture("chat-openai.json"));

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("the client certificate is not for client authentication (it lacks the clientAuth extended key usage)", detail);
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        Assert.Equal(1, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
    }

    [Fact]
    public async Task Handshake_CertificateNamingItsIssuersUrl_NeverMakesTheDataPlaneFetchIt()
    {
        // Blind SSRF: a chain builder allowed to download would fetch the "missing" issuer from
        // wherever the client's certificate says, during the handshake or the check after it.
        using var world = await silo.OnboardAsync();
        await using var issuerUrl = await CountingHttpListener.StartAsync();
        using var leaf = new OddCertificate { Uris = [$"x-aisix://env/{world.EnvironmentId}", "x-aisix://dp/dp-east-1"] }.SignedByAnUnknownIntermediateAt(issuerUrl.Url + "intermediate.crt");
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Offline: the test's own client must not fetch it either.
                ClientCertificateContext = SslStreamCertificateContext.Create(leaf, additionalCertificates: null, offline: true),
                RemoteCertificateValidationCallback = (_, certificate, _, _) => GatewayTrust.ChainsTo(certificate, silo.Ca),
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = silo.DataPlaneUri };

        using var response = await client.PostAsync("/dp/telemetry", new StringContent(EmptyBatch, System.Text.Encoding.UTF8, "application/json"));

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("the client certificate was not issued by this cluster's CA", detail);
        Assert.Equal(0, issuerUrl.Requests);
    }

    [Fact]
    public async Task Telemetry_IdentityComesFromTheCertificate_NotFromTheBody()
    {
        using var world = await silo.OnboardAsync();
        using var other = await silo.OnboardAsync();

        // A gateway of `other` posts world's events: they count for `other`'s gateway only.
        await other.Gateway.PostTelemetryOkAsync(world.Fixture("legacy-v06-latency-names.json"));

        Assert.Equal(0, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
        Assert.Equal(1, (long)(await other.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
    }

    [Fact]
    public async Task DataPlane_UnknownPath_Is404ForAnAuthenticatedGateway()
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Gateway.PostAsync("/dp/nothing-here", "{}");

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.NotFound);
        Assert.StartsWith("no such data plane endpoint", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminPort_DoesNotServeTheDataPlane()
    {
        using var admin = silo.Admin();

        using var response = await admin.PostAsync("/dp/telemetry", EmptyBatch);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private X509Certificate2 SignedByClusterCa(params string?[] uris) =>
        SignedByClusterCa(TestClock.Now.AddDays(1), uris);

    /// <summary>A certificate the cluster's CA signed outside the admin API, with only the given URI SANs.</summary>
    private X509Certificate2 SignedByClusterCa(DateTimeOffset notAfter, params string?[] uris) =>
        SignedByClusterCa(new OddCertificate { Uris = [.. uris.Where(u => u is not null).Select(u => u!)], NotAfter = notAfter });

    private X509Certificate2 SignedByClusterCa(OddCertificate certificate)
    {
        using var ca = X509Certificate2.CreateFromPemFile(
            Path.Combine(silo.DataDirectory, "pki", "ca.crt.pem"), Path.Combine(silo.DataDirectory, "pki", "ca.key.pem"));
        return (certificate with { NotBefore = ca.NotBefore }).SignedBy(ca);
    }
}
