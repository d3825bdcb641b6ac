using Npgsql;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>
/// The PostgreSQL export reads only rows of transactions below the oldest one still running on the
/// whole server (<c>pg_snapshot_xmin</c>): a row committed a moment ago stays unreadable while any
/// older transaction, of this silo or another database, is open. A test that reads the export right
/// after its posts were acknowledged waits here until the horizon has passed every one of them.
/// </summary>
public static class ExportHorizon
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Takes a new transaction id, after every acknowledged post's commit, and waits until no
    /// transaction up to it is still running, so every row committed before this call is exportable.
    /// Fails when that does not happen within the deadline.
    /// </summary>
    /// <param name="connectionString">The silo's database.</param>
    public static async Task PassedAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var take = dataSource.CreateCommand("SELECT pg_current_xact_id()::text::bigint");
        var taken = (long)(await take.ExecuteScalarAsync())!;
        await using var horizon = dataSource.CreateCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long current;
        while ((current = (long)(await horizon.ExecuteScalarAsync())!) <= taken)
        {
            Assert.True(
                watch.Elapsed < Deadline,
                $"the export horizon stayed at transaction {current}, not past {taken}, for {Deadline.TotalSeconds} s: a transaction is held open on the server");
            await Task.Delay(20);
        }
    }
}
