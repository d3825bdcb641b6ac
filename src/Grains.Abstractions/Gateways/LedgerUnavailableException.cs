namespace BudgetCluster.Grains.Abstractions.Gateways;

/// <summary>The ledger could not durably record an append; its outcome is unknown.</summary>
[GenerateSerializer]
[Alias("budgetcluster.ledger-unavailable")]
public sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException() { }

    public LedgerUnavailableException(string message) : base(message) { }

    public LedgerUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
