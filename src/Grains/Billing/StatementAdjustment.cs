namespace BudgetCluster.Grains.Billing;

/// <summary>
/// Usage of an earlier, closed period (<see cref="Period"/>) that was stored after that period's
/// statement closed: listed in the first statement still open, per environment and model.
/// </summary>
public sealed record StatementAdjustment(StatementPeriod Period, string EnvironmentId, string ModelId, long Attempts, decimal SpendUsd);
