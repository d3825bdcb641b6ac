using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using BudgetCluster.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Bench;

/// <summary>
/// The transport's own limit: a bare Kestrel listener with the data plane's TLS settings
/// (HTTP/1.1, a client certificate required and chained to the gateways' CA) that reads each
/// telemetry body to its end and answers a fixed 200. No parsing, no cluster, no storage. It runs
/// inside the load generator's process, on the same two cores the cluster used.
/// </summary>
internal sealed class TransportFloor : IAsyncDisposable
{
    private static readonly byte[] Answer = """{"accepted":0,"duplicates":0,"rejected":[]}"""u8.ToArray();
    private readonly WebApplication _app;

    private TransportFloor(WebApplication app, Uri address, X509Certificate2 ca)
    {
        _app = app;
        Address = address;
        Ca = ca;
    }

    public Uri Address { get; }

    /// <summary>The root the floor's server certificate chains to: what its gateways trust.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>Starts on a free loopback port; clients must present a certificate chaining to <paramref name="gatewayCa"/>.</summary>
    public static async Task<TransportFloor> StartAsync(X509Certificate2 gatewayCa)
    {
        var ca = new OddCertificate { Subject = "CN=floor CA", IsAuthority = true, Usages = null }.SelfSigned();
        var server = new OddCertificate { Subject = "CN=127.0.0.1", Usages = [OddCertificate.ServerAuth] }.SignedBy(ca);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = server;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.ClientCertificateValidation = (certificate, _, _) => GatewayTrust.ChainsTo(certificate, gatewayCa);
                    https.CheckCertificateRevocation = false;
                });
            });
        });

        var app = builder.Build();
        app.MapPost("/dp/telemetry", ReadAndAnswerAsync);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TransportFloor(app, new Uri(bound), ca);
    }

    /// <summary>Reads the body to its end into a pooled buffer (as the data plane does) and answers.</summary>
    private static async Task ReadAndAnswerAsync(HttpContext context)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Answer.Length;
        await context.Response.Body.WriteAsync(Answer, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
