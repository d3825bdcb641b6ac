using System.Data.Common;
using System.Globalization;
using System.Reflection;

namespace BudgetCluster.Grains.Storage;

/// <summary>
/// Applies the project's own SQL scripts (embedded under <c>Storage/Scripts/{set}/</c>) to a
/// database, in file-name order, each once: applied scripts are recorded in
/// <c>budgetcluster_schema</c>, so a second start is harmless.
/// </summary>
public static class SchemaMigrator
{
    private const string ResourcePrefix = "BudgetCluster.Storage.";

    /// <param name="connection">An open connection to the target database.</param>
    /// <param name="scriptSet">The folder of scripts, e.g. <c>Sqlite/Ledger</c>.</param>
    /// <param name="cancellationToken">Stops between statements.</param>
    /// <returns>The names of the scripts applied now.</returns>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
        DbConnection connection, string scriptSet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await ExecuteAsync(connection, null,
            "CREATE TABLE IF NOT EXISTS budgetcluster_schema (script TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
            cancellationToken);

        var applied = new List<string>();
        foreach (var (name, sql) in LoadScripts(scriptSet))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await IsAppliedAsync(connection, transaction, name, cancellationToken))
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, sql, cancellationToken);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO budgetcluster_schema (script, applied_at) VALUES (@script, @at)";
                AddParameter(record, "@script", name);
                AddParameter(record, "@at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            applied.Add(name);
        }

        return applied;
    }

    /// <summary>The scripts of a set, ordered by name: <c>(Sqlite/Ledger/0001_x.sql, text)</c>.</summary>
    public static IReadOnlyList<(string Name, string Sql)> LoadScripts(string scriptSet)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var prefix = ResourcePrefix + scriptSet.Replace('\\', '/').TrimEnd('/') + "/";
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => (name[ResourcePrefix.Length..], Read(assembly, name)))
            .ToList();
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException($"No schema scripts are embedded for '{scriptSet}'.");
        }

        return scripts;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Missing embedded script '{resource}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<bool> IsAppliedAsync(
        DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM budgetcluster_schema WHERE script = @script";
        AddParameter(command, "@script", name);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static async Task ExecuteAsync(
        DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
