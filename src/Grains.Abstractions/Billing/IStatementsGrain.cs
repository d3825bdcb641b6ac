using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.Grains.Abstractions.Billing;

/// <summary>
/// An org's monthly statements (API.md §8), in its billing time zone: open ones computed from the
/// usage rollups when asked, closed ones stored and never changed. Key: <c>org_id</c>. Periods are
/// <c>YYYY-MM</c> strings the caller has checked. Statements exist from the month the org was
/// created to the current month.
/// </summary>
[Alias("budgetcluster.statements")]
public interface IStatementsGrain : IGrainWithStringKey
{
    /// <summary>The statement's JSON body (exactly the stored bytes when closed); null when the org has no statement for the period or does not exist.</summary>
    [Alias("get-statement")]
    Task<byte[]?> GetStatementAsync(string period);

    /// <summary>Every statement of the org, oldest first; empty when the org does not exist.</summary>
    [Alias("list-statements")]
    Task<ImmutableArray<StatementSummary>> ListStatementsAsync();

    /// <summary>
    /// Closes the statement and returns its stored body; a closed one is returned as it is
    /// (idempotent). Null when the org has no statement for the period. Throws
    /// <see cref="DefinitionConflictException"/> while the period has not ended or an earlier
    /// statement is still open (statements close in order).
    /// </summary>
    [Alias("close-statement")]
    Task<byte[]?> CloseStatementAsync(string period);

    /// <summary>Closes, in order, every statement whose period ended at least <c>Billing:CloseAfter</c> ago; returns how many it closed.</summary>
    [Alias("close-due-statements")]
    Task<int> CloseDueStatementsAsync();
}
