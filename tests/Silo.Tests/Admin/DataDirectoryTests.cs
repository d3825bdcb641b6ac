using BudgetCluster.Silo.Admin;
using BudgetCluster.Silo.Hosting;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary>What the silo creates in its data directory is its user's alone: directories 0700, files 0600.</summary>
public sealed class DataDirectoryTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "bc-datadir-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Prepare_FreshDirectory_CreatesItAndTheDatabasesPrivate_WalIncluded()
    {
        var dataDirectory = Path.Combine(_root, "nested", "data");

        var storage = EmbeddedStorage.Prepare(dataDirectory, TimeSpan.FromSeconds(5));
        using (var connection = new SqliteConnection(storage.LedgerConnectionString))
        {
            connection.Open();
            using var write = connection.CreateCommand();
            write.CommandText = "CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (1);";
            write.ExecuteNonQuery();
            Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dataDirectory, "ledger.db-wal")));
        }

        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(dataDirectory));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(Path.Combine(_root, "nested")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dataDirectory, "ledger.db")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dataDirectory, "grains.db")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dataDirectory, "ledger.rollups.db")));
        Assert.True(AdminToken.Resolve(null, dataDirectory).Matches(File.ReadAllText(Path.Combine(dataDirectory, AdminToken.FileName))));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(dataDirectory, AdminToken.FileName)));
    }

    [Fact]
    public void Prepare_ExistingDirectoryAndDatabase_KeepTheirModesAndRows()
    {
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        Directory.CreateDirectory(_root, open);
        var first = EmbeddedStorage.Prepare(_root, TimeSpan.FromSeconds(5));
        using (var connection = new SqliteConnection(first.GrainsConnectionString))
        {
            connection.Open();
            using var write = connection.CreateCommand();
            write.CommandText = "CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (42);";
            write.ExecuteNonQuery();
        }

        var again = EmbeddedStorage.Prepare(_root, TimeSpan.FromSeconds(5));

        Assert.Equal(open, File.GetUnixFileMode(_root));
        using var reader = new SqliteConnection(again.GrainsConnectionString);
        reader.Open();
        using var read = reader.CreateCommand();
        read.CommandText = "SELECT x FROM probe";
        Assert.Equal(42L, read.ExecuteScalar());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
