using System.Net;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Heartbeats;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TelemetryIngress.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// The gateway-facing listener (<c>/dp/*</c>): its own Kestrel server on <see cref="DataPlaneOptions.Url"/>,
/// HTTPS with required client certificates, apart from the admin listener so that neither surface
/// can be reached on the other's port. Co-hosted by the silo or run by a separate ingress process;
/// either way it reaches grains through the host's <see cref="IGrainFactory"/>.
/// </summary>
public sealed partial class DataPlaneServer(
    IGrainFactory grains,
    DataPlaneTls tls,
    IOptions<DataPlaneOptions> options,
    TimeProvider time,
    IngressMetrics metrics,
    BudgetDecisions decisions,
    CatalogCache catalogs,
    GatewayConnections connections,
    TelemetryInFlight telemetryInFlight,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The address the listener is bound to, with the real port when 0 was configured.</summary>
    public Uri? BoundAddress { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var endpoint = ParseEndpoint(settings.Url);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(grains);
        builder.Services.AddSingleton(tls.Authority);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(decisions);
        builder.Services.AddSingleton(catalogs);
        builder.Services.AddSingleton<GatewayStreams>();
        builder.Services.AddSingleton(telemetryInFlight);
        builder.Services.AddProblemDetails();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // One process serves every gateway: bound what one client can hold. HTTP/1.1 only, so
            // a connection carries one request at a time; its headers are small and must come quickly.
            kestrel.Limits.MaxConcurrentConnections = settings.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = settings.MaxConnections;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 4 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(https =>
                {
                    // Asked per handshake, so a renewed certificate reaches new connections without a restart.
                    https.ServerCertificateSelector = (_, _) => tls.ServerCertificate.Current;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    // Judged per request by GatewayAuthentication, which can say why a certificate is refused.
                    https.ClientCertificateValidation = (_, _, _) => true;
                    https.CheckCertificateRevocation = false;
                    https.HandshakeTimeout = TimeSpan.FromSeconds(10);
                    https.OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = tls.Authority.HandshakeChainPolicy();
                });
                // After TLS: each connection is known by its certificate's serial, so a revocation can close it.
                listen.Use(next => async connection =>
                {
                    var certificate = connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
                    if (certificate is null)
                    {
                        await next(connection);
                        return;
                    }

                    using (connections.Track(CertificateAuthority.SerialOf(certificate), connection))
                    {
                        await next(connection);
                    }
                });
            });
        });

        var app = builder.Build();
        app.UseGatewayAuthentication();
        app.MapPost("/dp/telemetry", TelemetryEndpoint.HandleAsync);
        app.MapPost("/dp/heartbeat", HeartbeatEndpoint.HandleAsync);
        app.MapGet("/dp/budget_check", BudgetCheckEndpoint.HandleAsync);
        app.MapGet("/dp/budget_events", BudgetEventsEndpoint.HandleAsync);
        app.MapFallback(() => Problems.NotFound("no such data plane endpoint; see /dp/telemetry, /dp/heartbeat, /dp/budget_check, /dp/budget_events"));
        await app.StartAsync(cancellationToken);
        _app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        BoundAddress = address is null ? null : new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal));
        LogListening(loggers.CreateLogger<DataPlaneServer>(), BoundAddress?.ToString() ?? settings.Url);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary><c>https://host:port</c> where host is an IP address, <c>localhost</c>, or <c>*</c>/<c>+</c> for every interface.</summary>
    internal static IPEndPoint ParseEndpoint(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new OptionsValidationException(DataPlaneOptions.SectionName, typeof(DataPlaneOptions),
                [$"DataPlane:Url '{url}' must be an https:// URL with a host and port, e.g. https://127.0.0.1:7944"]);
        }

        if (uri.Host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, uri.Port);
        }

        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            throw new OptionsValidationException(DataPlaneOptions.SectionName, typeof(DataPlaneOptions),
                [$"DataPlane:Url '{url}' must name an IP address, localhost or * to listen on, not a host name"]);
        }

        return new IPEndPoint(address, uri.Port);
    }

    [LoggerMessage(2201, LogLevel.Information, "Data plane listening on {Address} (mTLS)")]
    private static partial void LogListening(ILogger logger, string address);
}
