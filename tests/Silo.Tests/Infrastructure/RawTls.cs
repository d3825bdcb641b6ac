using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>A TLS connection to the data plane written byte by byte: for requests an HttpClient will not send (held open, cut short).</summary>
public static class RawTls
{
    public static async Task<SslStream> ConnectAsync(SiloFixture silo, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, silo.DataPlaneUri.Port);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) => GatewayTrust.ChainsTo(presented, silo.Ca),
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

    /// <summary>Writes a POST's head, announcing <paramref name="contentLength"/> body bytes.</summary>
    public static Task WriteHeadAsync(SslStream tls, string path, int contentLength)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n")).AsTask();
    }

    /// <summary>The first bytes of the answer (its status line first).</summary>
    public static async Task<string> ReadAnswerAsync(SslStream tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var buffer = new byte[8192];
        var read = await tls.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
