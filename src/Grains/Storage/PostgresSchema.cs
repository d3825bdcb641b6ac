using System.Globalization;
using Npgsql;

namespace BudgetCluster.Grains.Storage;

/// <summary>
/// Applies the PostgreSQL script sets under a session advisory lock, so that silos starting at
/// the same moment apply each script once, one after the other, instead of racing.
/// </summary>
public static class PostgresSchema
{
    private const long MigrationLockKey = 0x42_43_53_43_48_45_4D_41; // "BCSCHEMA"

    /// <returns>The names of the scripts applied now.</returns>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
        NpgsqlDataSource dataSource, IEnumerable<string> scriptSets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(scriptSets);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_lock({MigrationLockKey})"), connection))
        {
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var applied = new List<string>();
            foreach (var set in scriptSets)
            {
                applied.AddRange(await SchemaMigrator.ApplyAsync(connection, set, cancellationToken));
            }

            return applied;
        }
        finally
        {
            await using var release = new NpgsqlCommand(string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_unlock({MigrationLockKey})"), connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
