using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// SQLite connections for Orleans' grain storage that wait for another writer's lock inside
/// SQLite (<c>PRAGMA busy_timeout</c>: it retries within milliseconds of the lock's release).
/// Without it Microsoft.Data.Sqlite retries a busy statement itself and sleeps the thread 150 ms
/// between attempts: with many grains writing state at once, that blocked thread-pool threads
/// for hundreds of milliseconds (profiled: 48% of all thread time) and stalled every request.
/// </summary>
internal sealed class WaitingSqliteDataSource(string connectionString, TimeSpan busyTimeout) : DbDataSource
{
    public override string ConnectionString => connectionString;

    protected override DbConnection CreateDbConnection() => new WaitingSqliteConnection(connectionString, (int)busyTimeout.TotalMilliseconds);

    private sealed class WaitingSqliteConnection(string connectionString, int busyTimeoutMs) : SqliteConnection(connectionString)
    {
        public override void Open()
        {
            base.Open();
            using var pragma = CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {busyTimeoutMs};";
            pragma.ExecuteNonQuery();
        }
    }
}
