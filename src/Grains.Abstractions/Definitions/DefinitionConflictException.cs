namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>A definition change that would contradict an existing one; the admin API answers 409.</summary>
[GenerateSerializer]
[Alias("budgetcluster.definition-conflict")]
public sealed class DefinitionConflictException : Exception
{
    public DefinitionConflictException() { }

    public DefinitionConflictException(string message) : base(message) { }

    public DefinitionConflictException(string message, Exception innerException) : base(message, innerException) { }
}
