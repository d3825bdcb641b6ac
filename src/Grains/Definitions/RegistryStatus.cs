namespace BudgetCluster.Grains.Definitions;

/// <summary>Where a budget of an organization's registry stands (<see cref="BudgetRegistryStore"/>).</summary>
public enum RegistryStatus
{
    /// <summary>Its budget grain has the stored policy.</summary>
    Defined = 0,

    /// <summary>Stored here; its budget grain may not have the policy yet.</summary>
    Pending = 1,

    /// <summary>Out of the registry; its budget grain may not be deleted yet.</summary>
    Deleting = 2,
}
