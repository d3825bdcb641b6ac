using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Definitions;
using BudgetCluster.Grains.Gateways;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.Silo.Admin;
using BudgetCluster.Silo.Admin.Budgets;
using BudgetCluster.Silo.Admin.OpenApi;
using BudgetCluster.Silo.Admin.Statements;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.Silo.Console;
using BudgetCluster.Silo.Health;
using BudgetCluster.Silo.Notifications;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using System.Data.Common;
using BudgetCluster.Grains.Abstractions.Gateways;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration.Memory;
using Orleans.Configuration;
using Orleans.Runtime.Providers;
using Orleans.Dashboard;
using Orleans.Serialization;
using BudgetCluster.Grains.Notifications;
using BudgetCluster.TelemetryIngress.Health;
using Orleans.Storage;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// Composes the single-process system: an Orleans silo, the admin API and dashboard on the admin
/// listener (<c>Urls</c>), and the co-hosted data plane (<c>DataPlane:Url</c>). Every choice of
/// storage, ports and paths comes from configuration; the defaults below are the embedded setup.
/// </summary>
public static partial class SiloHost
{
    private static readonly Dictionary<string, string?> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Urls"] = "http://127.0.0.1:8080",
        ["Storage:Provider"] = "Sqlite",
        ["Storage:DataDirectory"] = "data",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
        // "No XML encryptor configured" on the first start: the keys sit in the private data
        // directory, as the admin token does, where an encryptor with a key beside it adds nothing.
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
    };

    /// <param name="args">Command-line configuration.</param>
    /// <param name="time">The clock of the domain (periods, certificate checks); tests pass a controllable one.</param>
    public static WebApplication Build(string[] args, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateBuilder(ConfigurationArguments.WithoutReload(args));
        // Lowest precedence: appsettings, environment variables and arguments all override these.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
        builder.AddBudgetCluster(time ?? ShiftedClock.FromConfiguration(builder.Configuration));

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = WriteUnhandledProblemAsync,
            // A conflict is an answer, not a fault: it is not logged as an unhandled error.
            SuppressDiagnosticsCallback = context => context.Exception is DefinitionConflictException,
        });
        app.UseStatusCodePages();
        app.UseAdminAuthentication();
        app.MapAdminApi();
        app.MapHealth();
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapDashboardLogin();
        app.UseAntiforgery();
        app.MapConsole();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // One line per listener (the data plane logs its own), and where the admin token is.
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SiloHost));
            var silo = app.Services.GetRequiredService<ILocalSiloDetails>();
            LogOrleansListening(logger, silo.SiloAddress.Endpoint.ToString(), silo.GatewayAddress?.Endpoint.ToString() ?? "none");
            LogStarted(logger, string.Join(", ", app.Urls), app.Services.GetRequiredService<AdminToken>().FilePath ?? "configuration Admin:Token");
        });
        return app;
    }

    [LoggerMessage(3002, LogLevel.Information, "Orleans silo listening on {SiloEndpoint}, gateway (for ingress processes) on {GatewayEndpoint}")]
    private static partial void LogOrleansListening(ILogger logger, string siloEndpoint, string gatewayEndpoint);

    private static void AddBudgetCluster(this WebApplicationBuilder builder, TimeProvider time)
    {
        var configuration = builder.Configuration;
        var storageOptions = configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        var siloOptions = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
        var dataPlaneOptions = configuration.GetSection(DataPlaneOptions.SectionName).Get<DataPlaneOptions>() ?? new DataPlaneOptions();
        var dataDirectory = Path.GetFullPath(storageOptions.DataDirectory);
        var storage = ClusterStorage.Prepare(storageOptions, configuration, dataDirectory);
        var authority = CertificateAuthority.LoadOrCreate(dataPlaneOptions, dataDirectory, time);
        // Renewed, when it nears its end, while the data plane runs (ServerCertificateRenewal).
        var serverCertificate = new ServerCertificateSource(() => authority.LoadOrCreateServerCertificate(dataPlaneOptions, dataDirectory));

        var services = builder.Services;
        services.AddSingleton(time);
        // Orleans' membership and watchdog on real time counted from now (MembershipClock says why).
        services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, new MembershipClock());
        services.AddSingleton(AdminToken.Resolve(configuration["Admin:Token"], dataDirectory));
        services.AddSingleton<DashboardSessions>();
        services.AddSingleton(storage.Ledger);
        services.AddSingleton(serviceProvider => new BudgetRegistryStore(storage.RegistryDataSource, serviceProvider.GetRequiredService<Serializer>()));
        services.AddOptions<GatewayGrainOptions>().Bind(configuration.GetSection(GatewayGrainOptions.SectionName));
        services.AddOptions<BudgetGrainOptions>().Bind(configuration.GetSection(BudgetGrainOptions.SectionName));
        services.AddUsageApi(configuration);
        services.AddOptions<BillingOptions>()
            .Bind(configuration.GetSection(BillingOptions.SectionName))
            // Adjustments must reach as far back as the data plane accepts events.
            .PostConfigure(billing => billing.LateEventWindow = dataPlaneOptions.MaxEventAge)
            .Validate(billing => billing.CloseAfter >= TimeSpan.Zero, "Billing:CloseAfter must not be negative")
            .Validate(billing => billing.CloseCheckInterval > TimeSpan.Zero, "Billing:CloseCheckInterval must be positive")
            .ValidateOnStart();
        services.AddHostedService<StatementCloser>();
        services.AddHostedService<BudgetWaker>();
        services.AddWebhooks(configuration);
        services.AddSiloReadiness();
        services.AddSingleton(authority);
        services.AddSingleton(new DataPlaneTls(authority, serverCertificate));
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // Bodies the framework rejects before a handler runs still say what to fix.
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType)
            {
                context.ProblemDetails.Detail = "admin request bodies must be JSON: send 'Content-Type: application/json'";
            }
        });
        services.AddAdminOpenApi();
        services.AddRazorComponents();
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection(ConsoleOptions.SectionName))
            .Validate(console => console.HeartbeatInterval > TimeSpan.Zero, "Console:HeartbeatInterval must be positive")
            .ValidateOnStart();
        // The console's form tokens: keys in the data directory (private, shared by the silos like
        // the PKI), so every silo accepts a form another one rendered, and a restart keeps them.
        var keys = Path.Combine(dataDirectory, "data-protection");
        PrivateFiles.CreateDirectory(keys);
        services.AddDataProtection().SetApplicationName("budgetcluster").PersistKeysToFileSystem(new DirectoryInfo(keys));
        services.AddObservability(configuration, "budgetcluster-silo", LedgerMetrics.MeterName, NotificationMetrics.MeterName);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJsonContext.Default));

        var clusterTls = ClusterTls.FromConfiguration(configuration, time);
        builder.UseOrleans(silo =>
        {
            storage.ConfigureClustering(silo, siloOptions);
            if (clusterTls is not null)
            {
                // Silo to silo and clients to the gateway port: only holders of a cluster certificate get in.
                silo.UseTls(clusterTls.Configure);
            }

            silo.AddAdoNetGrainStorage(GrainStorageNames.Default, options =>
            {
                options.Invariant = storage.Invariant;
                // Exactly one of the two: a data source where connections need setting up.
                options.DataSource = storage.DataSource;
                options.ConnectionString = storage.DataSource is null ? storage.ConnectionString : null;
            });
            // Orleans' own serializer: version tolerant by [Id] and pinned by [Alias], so renaming a
            // C# type never orphans stored state.
            silo.Services.AddOptions<AdoNetGrainStorageOptions>(GrainStorageNames.Default)
                .Configure<Serializer>((options, serializer) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
            // Budget transitions: one stream per org. The pulling agents poll their queues every
            // 100 ms by default, which alone would spend the propagation target (50 ms p99). Polling
            // every 5 ms raises an idle embedded silo from 9% to 13.5% of a core with 2 queues (17%
            // with Orleans' 8; BENCHMARKS.md, "Idle cost").
            silo.AddMemoryStreams(BudgetStreams.Provider, streams =>
            {
                streams.ConfigurePartitioning(BudgetStreams.Queues);
                streams.ConfigurePullingAgent(agent => agent.Configure(options => options.GetQueueMsgsTimerPeriod = BudgetStreams.PollPeriod));
                streams.ConfigureBackoffProvider((_, _) => (IQueueReaderBackoffProvider)StreamBackoff.Default);
                streams.ConfigureBackoffProvider((_, _) => (IMessageDeliveryBackoffProvider)StreamBackoff.Default);
            });
            storage.ConfigureStreamSubscriptions(silo);
            silo.AddDashboard();
            // A batch's trace goes on through the grains (gateway, ledger, budgets) it reaches,
            // when traces are exported at all (the filter runs on every grain call).
            if (Observability.ExportsTraces(configuration))
            {
                silo.AddActivityPropagation();
            }
        });

        // After the silo, so the data plane starts once grains can be called and stops first.
        if (dataPlaneOptions.Enabled)
        {
            services.AddDataPlane(configuration);
        }
    }

    [LoggerMessage(3001, LogLevel.Information, "Admin API, dashboard, health and metrics on {Urls}; admin token from {TokenSource}")]
    private static partial void LogStarted(ILogger logger, string urls, string tokenSource);

    private static async Task WriteUnhandledProblemAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is DefinitionConflictException conflict)
        {
            // The grains' one domain refusal: a change that contradicts a stored definition.
            await Problems.Create(StatusCodes.Status409Conflict, "Conflict", conflict.Message).ExecuteAsync(context);
            return;
        }

        // Storage and cluster failures are transient for the caller: nothing was half-done that a retry would not repair.
        var unavailable = error is TimeoutException or OrleansException or DbException or LedgerUnavailableException;
        if (!unavailable)
        {
            await Problems.Create(StatusCodes.Status500InternalServerError, "Internal error",
                "an unexpected error occurred; the server log has the details").ExecuteAsync(context);
            return;
        }

        var retryAfter = context.RequestServices.GetRequiredService<IOptions<DataPlaneOptions>>().Value.RetryAfterSeconds;
        await Problems.Unavailable(context, retryAfter, "the cluster or its storage is unavailable; retry").ExecuteAsync(context);
    }
}
