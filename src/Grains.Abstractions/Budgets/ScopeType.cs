namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>What a budget is about: which events count toward it.</summary>
[GenerateSerializer]
[Alias("budgetcluster.scope-type")]
public enum ScopeType
{
    Org = 0,
    Environment = 1,
    ApiKey = 2,
    ProviderKey = 3,
    /// <summary>An API key's team, across every environment of the org.</summary>
    Team = 4,
    /// <summary>An API key's member (user), across every environment of the org.</summary>
    Member = 5,
}
