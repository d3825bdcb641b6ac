using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TelemetryIngress.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>Wires the data plane into a host that already provides an <see cref="IGrainFactory"/>.</summary>
public static class DataPlaneServiceCollectionExtensions
{
    /// <summary>Adds the <c>/dp/*</c> listener; the caller registers <see cref="DataPlaneTls"/>.</summary>
    public static IServiceCollection AddDataPlane(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DataPlaneOptions>().Bind(configuration.GetSection(DataPlaneOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DataPlaneOptions>, DataPlaneOptionsValidator>();
        services.AddMetrics();
        services.AddSingleton<IngressMetrics>();
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<GatewayConnections>();
        services.AddSingleton<TelemetryInFlight>();
        services.AddSingleton<OrgBudgetViews>();
        services.AddHostedService<TransitionCatchUp>();
        services.AddSingleton<BudgetDecisions>();
        services.AddSingleton<DataPlaneServer>();
        services.AddHostedService(provider => provider.GetRequiredService<DataPlaneServer>());
        services.AddHostedService<ServerCertificateRenewal>();
        return services;
    }
}
