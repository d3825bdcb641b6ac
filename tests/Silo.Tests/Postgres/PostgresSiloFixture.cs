using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>The same system in its production storage mode: membership, grain state and ledger in a fresh PostgreSQL database.</summary>
public sealed class PostgresSiloFixture : SiloFixture
{
    private string _connectionString = "";

    public string ConnectionString => _connectionString;

    protected override IEnumerable<string> ExtraArguments =>
    [
        "--Storage:Provider=PostgreSql",
        $"--ConnectionStrings:PostgreSql={_connectionString}",
        $"--Orleans:ClusterId=test-{Guid.NewGuid():N}",
    ];

    public override async Task InitializeAsync()
    {
        _connectionString = await PostgresServer.Instance.CreateDatabaseAsync("silo");
        await base.InitializeAsync();
    }
}
