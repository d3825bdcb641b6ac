namespace BudgetCluster.Grains.Definitions;

/// <summary>Persisted state of a grain that holds one definition record, null until created.</summary>
[GenerateSerializer]
[Alias("budgetcluster.definition-state.v1")]
public sealed class DefinitionState<T>
    where T : class
{
    [Id(0)] public T? Definition { get; set; }
}
