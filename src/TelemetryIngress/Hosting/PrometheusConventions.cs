using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Makes what <c>/metrics</c> exposes pass <c>promtool check metrics</c>. Our instruments follow the
/// conventions themselves. Orleans' are exported through <see cref="OrleansMetricsMirror"/> (seconds,
/// bytes, snake_case labels) instead of as they are recorded. The .NET runtime's four <c>*.count</c>
/// gauges lose the <c>count</c> that Prometheus reserves for histograms and summaries.
/// </summary>
internal static class PrometheusConventions
{
    private static readonly Dictionary<string, string> RuntimeRenames = new(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.thread_pool.thread.count"] = "dotnet.thread_pool.threads",
        ["dotnet.timer.count"] = "dotnet.timers",
    };

    public static MeterProviderBuilder AddPrometheusConventions(this MeterProviderBuilder metrics) =>
        metrics.AddMeter(OrleansMetricsMirror.MeterName).AddView(View);

    private static MetricStreamConfiguration? View(Instrument instrument) => instrument.Meter.Name switch
    {
        OrleansMetricsMirror.OrleansMeter => MetricStreamConfiguration.Drop,
        "System.Runtime" when RuntimeRenames.TryGetValue(instrument.Name, out var name) => new MetricStreamConfiguration { Name = name },
        _ => null,
    };
}
