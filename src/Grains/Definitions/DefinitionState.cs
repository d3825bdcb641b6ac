namespace BudgetCluster.Grains.Definitions;

/// <summary>Persisted state of a grain that holds one definition record, null until created.</summary>
[GenerateSerializer]
[Alias("budgetcluster.definition-state.v1")]
public sealed class DefinitionState<T>
    where T : class
{
    [Id(0)] public T? Definition { get; set; }
    /// <summary>The version of the definition last deleted (a model's price version), 0 when none was: one created again numbers on from it.</summary>
    [Id(1)] public int DeletedVersion { get; set; }
}
