namespace BudgetCluster.Silo.Admin.Rerate;

/// <summary>One model of a re-rating preview; money as decimal strings.</summary>
public sealed record RerateModelView(string? ModelId, long Attempts, string SpendUsd, string ReratedUsd, string DeltaUsd);
