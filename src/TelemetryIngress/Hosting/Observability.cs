using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// OpenTelemetry for every BudgetCluster process, the same way: the service's name and instance;
/// ASP.NET Core, Kestrel, HttpClient and .NET runtime instrumentation; Orleans' own meters (through
/// <see cref="OrleansMetricsMirror"/>) and activity sources; ours. Metrics are scraped at
/// <c>/metrics</c> (Prometheus). When the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
/// metrics and traces also go to that OTLP collector (with the standard <c>OTEL_*</c> variables for
/// protocol, headers and service name); without it no span is recorded.
/// </summary>
public static class Observability
{
    /// <summary>Our activity sources: this one and every <c>BudgetCluster.*</c> (the ledger's append).</summary>
    public const string ActivitySourceName = "BudgetCluster";

    /// <summary>
    /// Whether spans are recorded and exported: only with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. Orleans'
    /// activity propagation (a filter on every grain call) is added only then too: without an
    /// exporter it carried no trace anywhere and took 2.8% of a silo's ingest CPU in a profile (BENCHMARKS.md).
    /// </summary>
    public static bool ExportsTraces(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }

    /// <summary>Registers the process's metrics and traces, named <paramref name="serviceName"/> unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    /// <param name="services">The process's services.</param>
    /// <param name="configuration">Where the standard <c>OTEL_*</c> variables are read.</param>
    /// <param name="serviceName">The default <c>service.name</c>.</param>
    /// <param name="meters">Our meters this process records on, besides the data plane's.</param>
    public static IServiceCollection AddObservability(
        this IServiceCollection services, IConfiguration configuration, string serviceName, params string[] meters)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHostedService<OrleansMetricsMirror>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } configured ? configured : serviceName,
                serviceVersion: typeof(Observability).Assembly.GetName().Version?.ToString(),
                serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}"))
            .WithMetrics(metrics => metrics
                .AddMeter([.. meters, IngressMetrics.MeterName, "Microsoft.AspNetCore.Server.Kestrel"])
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusConventions()
                .AddPrometheusExporter());
        if (ExportsTraces(configuration))
        {
            // Spans only when they go somewhere: a listener makes Orleans and ASP.NET Core create
            // an activity for every grain call and request, which costs CPU for nothing unexported.
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(ActivitySourceName, ActivitySourceName + ".*", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }

        return services;
    }
}
