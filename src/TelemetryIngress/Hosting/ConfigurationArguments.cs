namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>The command line a BudgetCluster process hands the .NET host.</summary>
public static class ConfigurationArguments
{
    /// <summary>
    /// <paramref name="args"/> with <c>hostBuilder:reloadConfigOnChange=false</c> first (a later
    /// argument or the environment can still turn it on). The host would otherwise watch its
    /// content root, where the command was typed, recursively for a changed appsettings.json, and
    /// the data directory under it changes with every commit (SQLite's WAL files): a profile of the
    /// ingest benchmark showed that watcher's thread at 7-12% of the silo's CPU. Settings are read
    /// at start; a change needs a restart, as most of them (ports, storage) do anyway.
    /// </summary>
    public static string[] WithoutReload(string[] args) => ["--hostBuilder:reloadConfigOnChange=false", .. args];
}
