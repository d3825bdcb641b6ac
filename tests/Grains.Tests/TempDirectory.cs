namespace BudgetCluster.Grains.Tests;

/// <summary>A fresh directory for one test's database files, removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bc-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The one integer <paramref name="sql"/> answers on the SQLite file of <paramref name="connectionString"/>.</summary>
    /// <summary>The position a SQLite ledger's rollups hold every row up to, read from its rollup file.</summary>
    public static Task<long> FoldedPositionAsync(string ledgerConnectionString) => ScalarAsync(
        BudgetCluster.Grains.Ledger.SqliteUsageLedger.RollupsConnectionString(ledgerConnectionString), "SELECT through_pos FROM usage_rollup_folded");

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
