using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>A silo whose clock the test moves on, and whose data plane looks at its server certificate every 200 ms.</summary>
public sealed class RenewalClockFixture : MovableClockSiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--DataPlane:ServerCertificateCheckInterval=00:00:00.200"];
}

public sealed class ServerCertificateRenewalTests(RenewalClockFixture silo) : IClassFixture<RenewalClockFixture>
{
    [Fact]
    public async Task ServerCertificate_NearItsEnd_IsRenewedWithoutARestart_AndNewConnectionsGetTheNewOne()
    {
        using var world = await silo.OnboardAsync();
        var (first, oldConnection) = await ConnectAsync(world.Gateway.Certificate!);
        await using var _ = oldConnection;

        silo.Clock.Advance(TimeSpan.FromDays(340));
        X509Certificate2 renewed;
        SslStream connection;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            (renewed, connection) = await ConnectAsync(world.Gateway.Certificate!);
            if (renewed.SerialNumber != first.SerialNumber || DateTime.UtcNow > deadline)
            {
                break;
            }

            await connection.DisposeAsync();
            await Task.Delay(100);
        }

        await using (connection)
        {
            Assert.NotEqual(first.SerialNumber, renewed.SerialNumber);
            Assert.True(renewed.NotAfter > first.NotAfter.AddDays(300), $"renewed until {renewed.NotAfter:u}, was until {first.NotAfter:u}");
            Assert.True(GatewayTrust.ChainsTo(renewed, silo.Ca, silo.Clock.GetUtcNow()), "the renewed certificate does not chain to the cluster's CA");
            var body = UsageEvents.Body([UsageEvents.Event("after-renewal", occurredAt: silo.Clock.GetUtcNow())]);
            Assert.Contains("\"accepted\":1", await PostAsync(connection, body), StringComparison.Ordinal);
        }

        var onDisk = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(silo.DataDirectory, "pki", "server.crt.pem")));
        Assert.Equal(renewed.SerialNumber, onDisk.SerialNumber);
    }

    /// <summary>A TLS connection to the data plane, and the server certificate it was shown.</summary>
    private async Task<(X509Certificate2 Presented, SslStream Connection)> ConnectAsync(X509Certificate2 client)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, silo.DataPlaneUri.Port);
        X509Certificate2? presented = null;
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [client],
            // Judged below, at the silo's (moved) time, as a gateway whose clock agrees would.
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                presented = certificate is null ? null : new X509Certificate2(certificate);
                return presented is not null;
            },
        });
        return (presented!, tls);
    }

    private static async Task<string> PostAsync(SslStream tls, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await RawTls.WriteHeadAsync(tls, "/dp/telemetry", bytes.Length);
        await tls.WriteAsync(bytes);
        return await RawTls.ReadAnswerAsync(tls);
    }
}
