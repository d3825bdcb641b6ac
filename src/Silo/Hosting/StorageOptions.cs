namespace BudgetCluster.Silo.Hosting;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Sqlite</c> (embedded default). PostgreSQL arrives with the production topology.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Where the embedded databases, the PKI and the generated admin token live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// How long an embedded-database statement waits for a lock held by another writer before it
    /// fails; a telemetry batch that fails this way is answered 503.
    /// </summary>
    public TimeSpan SqliteBusyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
