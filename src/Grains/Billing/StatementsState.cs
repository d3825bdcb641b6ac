namespace BudgetCluster.Grains.Billing;

/// <summary>Persisted state of a <see cref="StatementsGrain"/>: its index of closed statements, not their bodies.</summary>
[GenerateSerializer]
[Alias("budgetcluster.statements-state.v1")]
public sealed class StatementsState
{
    /// <summary>The org's first statement period (<c>YYYY-MM</c>), fixed the first time the grain needed it.</summary>
    [Id(0)] public string? FirstPeriod { get; set; }

    /// <summary>The closed statements, in period order; each period after the previous one.</summary>
    [Id(1)] public List<ClosedStatement> Closed { get; set; } = [];

    /// <summary>
    /// What the last closed statement read of each period that can still get events (its own and
    /// earlier ones within <see cref="BillingOptions.LateEventWindow"/>): the first open statement's
    /// adjustments are what the ledger holds beyond these.
    /// </summary>
    [Id(2)] public List<PeriodSum> Known { get; set; } = [];
}
