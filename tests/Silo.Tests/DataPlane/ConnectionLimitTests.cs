using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>A system whose data plane holds at most four connections (<c>DataPlane:MaxConnections</c>).</summary>
public sealed class FourConnectionsFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--DataPlane:MaxConnections=4"];
}

/// <summary>Past <c>DataPlane:MaxConnections</c> a new connection is closed as it arrives; the open ones go on.</summary>
public sealed class ConnectionLimitTests(FourConnectionsFixture silo) : IClassFixture<FourConnectionsFixture>
{
    [Fact]
    public async Task FifthConnection_IsClosedAtOnce_WhileTheFourOpenOnesServeRequests()
    {
        using var world = await silo.OnboardAsync();
        var open = new List<SslStream>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                open.Add(await ConnectAsync(world.Gateway));
            }

            Assert.True(await IsClosedAtOnceAsync(world.Gateway), "a fifth connection was held open");

            Assert.StartsWith("HTTP/1.1 200", await HeartbeatAsync(open[3]), StringComparison.Ordinal);

            // A closed connection frees its place.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    var again = await ConnectAsync(world.Gateway);
                    open.Add(again);
                    Assert.StartsWith("HTTP/1.1 200", await HeartbeatAsync(again), StringComparison.Ordinal);
                    break;
                }
                catch (Exception e) when (e is IOException or AuthenticationException or SocketException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>Whether a new connection is closed (before, during or right after the handshake) within 5 s, rather than left open.</summary>
    private async Task<bool> IsClosedAtOnceAsync(GatewayClient gateway)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await using var connection = await ConnectAsync(gateway);
            return await connection.ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (Exception e) when (e is IOException or AuthenticationException or SocketException)
        {
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<SslStream> ConnectAsync(GatewayClient gateway)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, silo.DataPlaneUri.Port);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [gateway.Certificate!],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => GatewayTrust.ChainsTo(certificate, silo.Ca),
            });
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            tcp.Dispose();
            throw;
        }
    }

    private static async Task<string> HeartbeatAsync(SslStream tls)
    {
        const string body = """{"instance_id":"i-1"}""";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /dp/heartbeat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
        var buffer = new byte[4096];
        var read = await tls.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
