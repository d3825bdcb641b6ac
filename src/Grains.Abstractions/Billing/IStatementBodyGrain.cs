namespace BudgetCluster.Grains.Abstractions.Billing;

/// <summary>
/// The stored body of one closed statement. Key: <c>{org_id}/{YYYY-MM}</c>. Written by the org's
/// <see cref="IStatementsGrain"/> before it records the statement as closed, so a body is only ever
/// served once it is final; kept apart so the org's statement index stays small whatever its age.
/// </summary>
[Alias("budgetcluster.statement-body")]
public interface IStatementBodyGrain : IGrainWithStringKey
{
    /// <summary>Stores the body; durable when it returns. Idempotent.</summary>
    [Alias("store-body")]
    Task StoreBodyAsync(byte[] body);

    /// <summary>The stored body, or null.</summary>
    [Alias("get-body")]
    Task<byte[]?> GetBodyAsync();
}
