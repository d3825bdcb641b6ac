namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>Upstream latency of a result's attempts in milliseconds: exact mean and maximum, percentiles from the histogram.</summary>
public sealed record LatencyView(double Avg, double? P50, double? P95, long Max);
