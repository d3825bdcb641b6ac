using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// The API key a budget check is about, as the catalog of the asking environment knows it: the
/// org and environment the gateway's certificate belongs to, the key and the key's binding.
/// </summary>
internal sealed record BudgetCheckKey(string OrgId, string EnvironmentId, string ApiKeyId, ApiKeyBinding Binding);
