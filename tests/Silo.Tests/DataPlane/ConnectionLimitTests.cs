using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;

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

    private Task<SslStream> ConnectAsync(GatewayClient gateway) => RawTls.ConnectAsync(silo, gateway.Certificate!);

    private static async Task<string> HeartbeatAsync(SslStream tls)
    {
        var body = Encoding.ASCII.GetBytes("""{"instance_id":"i-1"}""");
        await RawTls.WriteHeadAsync(tls, "/dp/heartbeat", body.Length);
        await tls.WriteAsync(body);
        return await RawTls.ReadAnswerAsync(tls);
    }
}
