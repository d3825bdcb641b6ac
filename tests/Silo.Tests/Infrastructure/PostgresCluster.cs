namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>The arguments that put a silo or an ingress process in a cluster of its own on a PostgreSQL database.</summary>
public static class PostgresCluster
{
    /// <summary>Storage and clustering on <paramref name="connectionString"/>, under a new cluster id (processes given the same array find each other).</summary>
    public static string[] Arguments(string connectionString) =>
    [
        "--Storage:Provider=PostgreSql",
        $"--ConnectionStrings:PostgreSql={connectionString}",
        $"--Orleans:ClusterId=c-{Guid.NewGuid():N}",
    ];
}
