using System.Data.Common;
using BudgetCluster.Grains.Abstractions.Budgets;
using Orleans.Serialization;

namespace BudgetCluster.Grains.Definitions;

/// <summary>
/// The budget registries of organizations, one row per budget (<c>budget_registry</c>) and one
/// index version per org (<c>budget_registry_org</c>), in the grain state database (SQLite or
/// PostgreSQL: the statements are common to both). A change writes its own row in one
/// transaction, so defining a budget costs the same in an org of ten budgets or ten thousand.
/// Policies are stored in Orleans' binary serialization, which tolerates added and removed fields
/// like grain state does.
/// </summary>
public sealed class BudgetRegistryStore(DbDataSource dataSource, Serializer serializer)
{
    /// <summary>Every row of an org's registry, by budget id, and its stored index version (0 for none).</summary>
    public async Task<(IReadOnlyList<RegistryRow> Rows, long IndexVersion)> LoadAsync(string orgId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = new List<RegistryRow>();
        await using (var read = Command(connection, null, "SELECT budget_id, status, policy FROM budget_registry WHERE org_id = @org ORDER BY budget_id"))
        {
            Add(read, "@org", orgId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var policy = reader.IsDBNull(2) ? null : serializer.Deserialize<BudgetPolicy>((byte[])reader.GetValue(2));
                rows.Add(new RegistryRow(reader.GetString(0), (RegistryStatus)reader.GetInt32(1), policy));
            }
        }

        await using var version = Command(connection, null, "SELECT index_version FROM budget_registry_org WHERE org_id = @org");
        Add(version, "@org", orgId);
        return (rows, await version.ExecuteScalarAsync(cancellationToken) is { } stored and not DBNull ? Convert.ToInt64(stored, System.Globalization.CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Writes <paramref name="write"/> in one transaction.</summary>
    public Task WriteAsync(string orgId, RegistryWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return InTransactionAsync(orgId, write.IndexVersion, async (connection, transaction) =>
        {
            foreach (var budgetId in write.Defined)
            {
                await ExecuteAsync(connection, transaction, "UPDATE budget_registry SET status = 0 WHERE org_id = @org AND budget_id = @budget AND status = 1",
                    cancellationToken, ("@org", orgId), ("@budget", budgetId));
            }

            foreach (var budgetId in write.Deleted)
            {
                await ExecuteAsync(connection, transaction, "DELETE FROM budget_registry WHERE org_id = @org AND budget_id = @budget AND status = 2",
                    cancellationToken, ("@org", orgId), ("@budget", budgetId));
            }

            if (write.Row is { } row)
            {
                await UpsertAsync(connection, transaction, orgId, row, cancellationToken);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Stores a whole registry kept before this table existed (in the org grain's state), in one
    /// transaction, replacing any row of the same budgets: a repeat after a crash does the same.
    /// </summary>
    public Task ImportAsync(string orgId, long indexVersion, IReadOnlyCollection<RegistryRow> rows, CancellationToken cancellationToken = default) =>
        InTransactionAsync(orgId, indexVersion, async (connection, transaction) =>
        {
            foreach (var row in rows)
            {
                await UpsertAsync(connection, transaction, orgId, row, cancellationToken);
            }
        }, cancellationToken);

    private async Task InTransactionAsync(string orgId, long indexVersion, Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await work(connection, transaction);
        await ExecuteAsync(connection, transaction,
            """
            INSERT INTO budget_registry_org (org_id, index_version) VALUES (@org, @version)
            ON CONFLICT (org_id) DO UPDATE SET index_version = excluded.index_version
            WHERE budget_registry_org.index_version < excluded.index_version
            """,
            cancellationToken, ("@org", orgId), ("@version", indexVersion));
        await transaction.CommitAsync(cancellationToken);
    }

    private Task UpsertAsync(DbConnection connection, DbTransaction transaction, string orgId, RegistryRow row, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            """
            INSERT INTO budget_registry (org_id, budget_id, status, policy) VALUES (@org, @budget, @status, @policy)
            ON CONFLICT (org_id, budget_id) DO UPDATE SET status = excluded.status, policy = excluded.policy
            """,
            cancellationToken,
            ("@org", orgId), ("@budget", row.BudgetId), ("@status", (short)row.Status),
            ("@policy", row.Policy is null ? DBNull.Value : serializer.SerializeToArray(row.Policy)));

    private static async Task ExecuteAsync(
        DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql);
        foreach (var (name, value) in parameters)
        {
            Add(command, name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
