using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Postgres;

/// <summary>Silo to silo over the cluster's mutual TLS: a silo whose certificate another CA issued does not get in.</summary>
public sealed class ClusterTlsJoinTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-tls-join-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Silo_WithACertificateOfAnotherCa_CannotJoin_AndTheClusterGoesOn()
    {
        var connectionString = await PostgresServer.Instance.CreateDatabaseAsync("tls_join");
        var cluster = PostgresCluster.Arguments(connectionString);
        var ours = new ClusterPki(Path.Combine(_dataDirectory, "cluster-pki"));
        var theirs = new ClusterPki(Path.Combine(_dataDirectory, "other-pki"), "other");
        await using var member = await SiloProcess.StartAsync(_dataDirectory, [.. cluster, .. ours.Arguments("silo-1")]);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SiloProcess.StartAsync(_dataDirectory, [.. cluster, .. theirs.Arguments("intruder")]));

        Assert.Contains("The remote certificate was rejected by the provided RemoteCertificateValidationCallback", refused.Message, StringComparison.Ordinal);
        using var admin = new AdminClient(member.AdminUri, SiloFixture.Token);
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        Assert.Equal("Acme", (string)(await admin.GetOkAsync("/api/v1/orgs/acme"))["name"]!);
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
