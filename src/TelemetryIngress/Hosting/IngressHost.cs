using System.Net;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Health;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// A separate ingress process: the data plane (<c>/dp/*</c>) as an Orleans client of the cluster.
/// With <c>Storage:Provider=PostgreSql</c> it finds the silos' gateways in the membership table
/// (<c>ConnectionStrings:PostgreSql</c>); with <c>Sqlite</c> it connects to the single local silo
/// (<c>Orleans:GatewayPort</c>). Several may run side by side on different <c>DataPlane:Url</c>s.
/// The CA certificate (never its key) and the server certificate come from <c>DataPlane:*Path</c>
/// or from the data directory a silo created them in (<c>Storage:DataDirectory</c>); an ingress
/// creates neither. Its operations listener (<c>Urls</c>, plain HTTP, loopback by default) serves
/// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, apart from the gateways' port.
/// </summary>
public static partial class IngressHost
{
    private static readonly Dictionary<string, string?> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Urls"] = "http://127.0.0.1:9464",
        ["Storage:Provider"] = "Sqlite",
        ["Storage:DataDirectory"] = "data",
        ["Orleans:GatewayPort"] = "30000",
        ["Orleans:ClusterId"] = "budgetcluster",
        ["Orleans:ServiceId"] = "budgetcluster",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(ConfigurationArguments.WithoutReload(args));
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
        var configuration = builder.Configuration;
        var dataPlane = configuration.GetSection(DataPlaneOptions.SectionName).Get<DataPlaneOptions>() ?? new DataPlaneOptions();
        var dataDirectory = Path.GetFullPath(configuration["Storage:DataDirectory"]!);
        var time = ShiftedClock.FromConfiguration(configuration);
        // The CA certificate only: an ingress verifies gateways; the silos hold the key and issue.
        var authority = CertificateAuthority.LoadForVerification(dataPlane, dataDirectory, time);
        // Read again periodically: the silos renew it in the shared pki/ (ServerCertificateRenewal).
        var serverCertificate = new ServerCertificateSource(() => authority.LoadServerCertificate(dataPlane, dataDirectory));

        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(authority);
        builder.Services.AddSingleton(new DataPlaneTls(authority, serverCertificate));
        var clusterTls = ClusterTls.FromConfiguration(configuration, time);
        builder.UseOrleansClient(client =>
        {
            if (clusterTls is not null)
            {
                client.UseTls(clusterTls.Configure);
            }

            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = configuration["Orleans:ClusterId"]!;
                cluster.ServiceId = configuration["Orleans:ServiceId"]!;
            });
            if (string.Equals(configuration["Storage:Provider"], "PostgreSql", StringComparison.OrdinalIgnoreCase))
            {
                var connectionString = configuration.GetConnectionString("PostgreSql")
                    ?? throw new InvalidOperationException("Storage:Provider is PostgreSql but ConnectionStrings:PostgreSql is not set.");
                client.UseAdoNetClustering(clustering =>
                {
                    clustering.Invariant = "Npgsql";
                    clustering.ConnectionString = connectionString;
                });
            }
            else
            {
                var port = int.Parse(configuration["Orleans:GatewayPort"]!, System.Globalization.CultureInfo.InvariantCulture);
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, port));
            }

            // The same queue count as the silos' provider (producers on both sides map streams to queues alike).
            client.AddMemoryStreams(BudgetStreams.Provider, streams => streams.ConfigurePartitioning(BudgetStreams.Queues));
            // A request in flight to a silo that dies fails after this, as a 503 the gateway retries;
            // 10 s matches the gateway's own request timeout.
            client.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = TimeSpan.FromSeconds(10));
            // A batch's trace goes on from this process into the grains it calls, when traces are exported.
            if (Observability.ExportsTraces(configuration))
            {
                client.AddActivityPropagation();
            }
        });
        builder.Services.AddDataPlane(configuration);
        builder.Services.AddReadiness().AddCheck<ClusterReachableCheck>("cluster", timeout: Readiness.CheckTimeout);
        builder.Services.AddObservability(configuration, "budgetcluster-ingress");

        var app = builder.Build();
        app.MapHealth();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStarted.Register(() => LogOperationsListening(
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IngressHost)), string.Join(", ", app.Urls)));
        return app;
    }

    [LoggerMessage(2202, LogLevel.Information, "Health and metrics on {Urls}")]
    private static partial void LogOperationsListening(ILogger logger, string urls);
}
