namespace BudgetCluster.Grains.Abstractions.Billing;

/// <summary>
/// The stored body of one closed statement. Key: <c>{org_id}/{YYYY-MM}/{content_sha256}</c>, so a
/// body is never replaced by another: written by the org's <see cref="IStatementsGrain"/> before it
/// records the statement as closed with that hash; kept apart so the org's statement index stays
/// small whatever its age.
/// </summary>
[Alias("budgetcluster.statement-body")]
public interface IStatementBodyGrain : IGrainWithStringKey
{
    /// <summary>Stores the body (the same bytes again change nothing: the key is their hash); durable when it returns.</summary>
    [Alias("store-body")]
    Task StoreBodyAsync(byte[] body);

    /// <summary>The stored body, or null.</summary>
    [Alias("get-body")]
    Task<byte[]?> GetBodyAsync();
}
