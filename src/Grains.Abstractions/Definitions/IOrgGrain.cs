namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>An organization's definition. Key: <c>org_id</c>.</summary>
[Alias("budgetcluster.org")]
public interface IOrgGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the organization; idempotent. Durable when it returns.</summary>
    [Alias("put-org")]
    Task PutOrgAsync(OrgDefinition definition);

    /// <summary>The organization, or null when it was never created.</summary>
    [Alias("get-org")]
    Task<OrgDefinition?> GetOrgAsync();
}
