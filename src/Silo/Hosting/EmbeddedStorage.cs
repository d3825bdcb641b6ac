using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Storage;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// The embedded default: two SQLite files under the data directory, <c>ledger.db</c> (the usage
/// ledger, written by one group-committing writer) and <c>grains.db</c> (Orleans grain state),
/// kept apart so that snapshot writes never wait on the ledger's write lock.
/// </summary>
public sealed class EmbeddedStorage
{
    private EmbeddedStorage(string ledgerConnectionString, string grainsConnectionString)
    {
        LedgerConnectionString = ledgerConnectionString;
        GrainsConnectionString = grainsConnectionString;
    }

    public string LedgerConnectionString { get; }

    public string GrainsConnectionString { get; }

    /// <summary>Creates the data directory (0700) and both databases (0600) as needed and applies the schema scripts.</summary>
    /// <param name="dataDirectory">Where the files live.</param>
    /// <param name="busyTimeout">How long a statement waits for another writer's lock before it fails.</param>
    public static EmbeddedStorage Prepare(string dataDirectory, TimeSpan busyTimeout)
    {
        PrivateFiles.CreateDirectory(dataDirectory);
        var ledger = ConnectionString(PrivateDatabase(dataDirectory, "ledger.db"), busyTimeout);
        // The ledger creates and migrates its rollup file itself; created here first so it is private too.
        PrivateFiles.CreateFile(new SqliteConnectionStringBuilder(SqliteUsageLedger.RollupsConnectionString(ledger)).DataSource);
        var grains = ConnectionString(PrivateDatabase(dataDirectory, "grains.db"), busyTimeout);
        Migrate(ledger, "Sqlite/Ledger");
        Migrate(grains, "Sqlite/Grains");
        return new EmbeddedStorage(ledger, grains);
    }

    private static string PrivateDatabase(string dataDirectory, string name)
    {
        var path = Path.Combine(dataDirectory, name);
        PrivateFiles.CreateFile(path);
        return path;
    }

    private static string ConnectionString(string path, TimeSpan busyTimeout) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(path),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        // Microsoft.Data.Sqlite retries a locked database until the command timeout.
        DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
    }.ToString();

    private static void Migrate(string connectionString, string scriptSet)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var wal = connection.CreateCommand())
        {
            // WAL is a property of the file: readers never block the writer, and it survives restarts.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        SchemaMigrator.ApplyAsync(connection, scriptSet).GetAwaiter().GetResult();
    }
}
