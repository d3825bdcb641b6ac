using BudgetCluster.TelemetryIngress.Hosting;

var app = IngressHost.Build(args);
await app.RunAsync();
