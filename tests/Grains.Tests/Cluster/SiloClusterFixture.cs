using Orleans.TestingHost;

namespace BudgetCluster.Grains.Tests.Cluster;

/// <summary>
/// One in-process silo of Orleans' TestingHost configured by <typeparamref name="TConfigurator"/>,
/// with a folder of its own for the files its silo writes (statics are per closed type, so each
/// kind of cluster has its own).
/// </summary>
public abstract class SiloClusterFixture<TConfigurator> : IAsyncLifetime
    where TConfigurator : ISiloConfigurator, new()
{
    protected static TempDirectory Files { get; } = new();

    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<TConfigurator>().Build();

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Files.Dispose();
    }
}
