namespace BudgetCluster.Grains.Billing;

/// <summary>One model of a re-rating preview: its events' stored spend and what they would cost under the prices given.</summary>
public sealed record RerateLine(string ModelId, long Attempts, decimal SpendUsd, decimal ReratedUsd)
{
    public decimal DeltaUsd => ReratedUsd - SpendUsd;
}
