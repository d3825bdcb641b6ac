using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>A separate ingress's own health: ready while a silo answers it and its data plane listens.</summary>
public sealed class IngressHealthTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-ingress-health-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Readyz_IsReadyWithTheCluster_And503NamingTheClusterOnceNoSiloAnswers_WhileHealthzStays200()
    {
        var cluster = PostgresCluster.Arguments(await PostgresServer.Instance.CreateDatabaseAsync("ingress_health"));
        await using var silo = await SiloProcess.StartAsync(_dataDirectory, [.. cluster, "--DataPlane:Enabled=false"]);
        await using var ingress = await SiloProcess.StartIngressAsync(_dataDirectory, cluster);
        using var operations = new AdminClient(ingress.AdminUri, token: null);

        var (ready, readyBody) = await Readyz.UntilAsync(operations, HttpStatusCode.OK, TimeSpan.FromSeconds(15));
        await silo.KillAsync();
        var (down, downBody) = await Readyz.UntilAsync(operations, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        using var live = await operations.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal("healthy", (string)readyBody["checks"]!["cluster"]!["status"]!);
        Assert.Contains("listens on https://127.0.0.1:", (string)readyBody["checks"]!["data_plane"]!["description"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("not_ready", (string)downBody["status"]!);
        Assert.Equal("unhealthy", (string)downBody["checks"]!["cluster"]!["status"]!);
        Assert.Equal("healthy", (string)downBody["checks"]!["data_plane"]!["status"]!);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
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
