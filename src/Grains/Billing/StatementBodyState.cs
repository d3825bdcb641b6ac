namespace BudgetCluster.Grains.Billing;

/// <summary>Persisted state of a <see cref="StatementBodyGrain"/>.</summary>
[GenerateSerializer]
[Alias("budgetcluster.statement-body-state.v1")]
public sealed class StatementBodyState
{
    [Id(0)] public byte[]? Body { get; set; }
}
