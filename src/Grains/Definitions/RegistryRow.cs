using BudgetCluster.Grains.Abstractions.Budgets;

namespace BudgetCluster.Grains.Definitions;

/// <summary>One budget of an organization's registry: its status, and its policy unless it is being deleted.</summary>
public sealed record RegistryRow(string BudgetId, RegistryStatus Status, BudgetPolicy? Policy);
