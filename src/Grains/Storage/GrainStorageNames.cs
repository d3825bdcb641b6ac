namespace BudgetCluster.Grains.Storage;

/// <summary>Names of the Orleans grain storage providers the grains persist to.</summary>
public static class GrainStorageNames
{
    /// <summary>Definitions and snapshots: Orleans ADO.NET storage on the configured database.</summary>
    public const string Default = "budgetcluster";
}
