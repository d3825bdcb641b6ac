using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary><c>/readyz</c> (issue #14): ready once joined, with a ledger that takes writes and a listening data plane.</summary>
public sealed class ReadinessTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Readyz_RunningSilo_IsReadyNamingEachCheck_WithoutAToken()
    {
        using var anonymous = silo.Admin(token: null);

        using var response = await anonymous.GetAsync("/readyz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", (string)body["status"]!);
        Assert.All(new[] { "silo", "ledger", "data_plane" }, check => Assert.Equal("healthy", (string)body["checks"]![check]!["status"]!));
        Assert.Contains("listens on https://", (string)body["checks"]!["data_plane"]!["description"]!, StringComparison.Ordinal);
    }
}

/// <summary>The readiness of a silo process whose PostgreSQL server goes away and comes back.</summary>
public sealed class PostgresReadinessTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-ready-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Readyz_PostgresStopped_Is503NamingTheLedgerWithin5s_AndReadyAgainAfter_WhileHealthzStays200()
    {
        using var postgres = PostgresServer.StartDedicated();
        await using var process = await SiloProcess.StartAsync(
            _dataDirectory, "--Storage:Provider=PostgreSql", $"--ConnectionStrings:PostgreSql={await postgres.CreateDatabaseAsync("ready")}");
        using var client = new AdminClient(process.AdminUri, token: null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        postgres.Kill();
        var (down, downBody) = await Readyz.UntilAsync(client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5));
        using var live = await client.GetAsync("/healthz");
        // As the fault tests do: the killed server's processes are gone before it starts again.
        await Task.Delay(TimeSpan.FromSeconds(3));
        postgres.Restart();
        var (up, upBody) = await Readyz.UntilAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("not_ready", (string)downBody["status"]!);
        Assert.Equal("unhealthy", (string)downBody["checks"]!["ledger"]!["status"]!);
        Assert.Contains("the ledger does not take writes", (string)downBody["checks"]!["ledger"]!["description"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(up == HttpStatusCode.OK, upBody.ToJsonString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
