namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>What a gateway does when it cannot reach the cluster for a budget decision.</summary>
[GenerateSerializer]
[Alias("budgetcluster.fail-mode")]
public enum FailMode
{
    /// <summary>Keep the last known decision.</summary>
    Sticky = 0,
    /// <summary>Allow requests.</summary>
    Open = 1,
    /// <summary>Deny requests.</summary>
    Closed = 2,
}
