using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Extensions.Hosting;

var host = IngressHost.Build(args);
await host.RunAsync();
