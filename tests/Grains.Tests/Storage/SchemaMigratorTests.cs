using BudgetCluster.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Grains.Tests.Storage;

public sealed class SchemaMigratorTests
{
    [Theory]
    [InlineData("Sqlite/Ledger")]
    [InlineData("Sqlite/Grains")]
    public async Task ApplyAsync_SecondRun_AppliesNothingAndKeepsData(string scriptSet)
    {
        using var temp = new TempDirectory();
        await using var connection = new SqliteConnection($"Data Source={temp.File("db.sqlite")}");
        await connection.OpenAsync();

        var first = await SchemaMigrator.ApplyAsync(connection, scriptSet);
        await using (var marker = connection.CreateCommand())
        {
            marker.CommandText = "CREATE TABLE marker (x INTEGER); INSERT INTO marker VALUES (42);";
            await marker.ExecuteNonQueryAsync();
        }

        var second = await SchemaMigrator.ApplyAsync(connection, scriptSet);

        Assert.NotEmpty(first);
        Assert.Empty(second);
        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT x FROM marker";
        Assert.Equal(42L, await check.ExecuteScalarAsync());
    }

    [Fact]
    public void LoadScripts_UnknownSet_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => SchemaMigrator.LoadScripts("Sqlite/Nope"));
    }

    [Fact]
    public async Task GrainsScript_DefinesTheThreeQueriesOrleansRequires()
    {
        using var temp = new TempDirectory();
        await using var connection = new SqliteConnection($"Data Source={temp.File("db.sqlite")}");
        await connection.OpenAsync();
        await SchemaMigrator.ApplyAsync(connection, "Sqlite/Grains");

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey";
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        Assert.Equal(["ClearStorageKey", "ReadFromStorageKey", "WriteToStorageKey"], keys);
    }
}
