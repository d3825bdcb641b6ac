using System.Net;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace BudgetCluster.Silo.Tests.Cluster;

/// <summary>A silo whose cluster ports require a certificate of the cluster's CA (<c>Orleans:Tls</c>).</summary>
public sealed class ClusterTlsFixture : SiloFixture
{
    public ClusterPki Pki { get; } = new(Path.Combine(Path.GetTempPath(), "bc-cluster-pki-" + Guid.NewGuid().ToString("N")));

    protected override IEnumerable<string> ExtraArguments => Pki.Arguments("silo-1");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Pki.Directory, recursive: true);
    }
}

public sealed class ClusterTlsTests(ClusterTlsFixture silo) : IClassFixture<ClusterTlsFixture>
{
    [Fact]
    public async Task OrleansClient_WithAClusterCertificate_CallsGrains()
    {
        using var admin = silo.Admin();
        var orgId = "org-" + Guid.NewGuid().ToString("N")[..10];
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Over TLS"}""");
        var (certificate, key) = silo.Pki.Issue("ingress-1");

        using var client = Client(new Dictionary<string, string?>
        {
            ["Orleans:Tls:CertificatePath"] = certificate,
            ["Orleans:Tls:KeyPath"] = key,
            ["Orleans:Tls:CaCertificatePath"] = silo.Pki.CaPath,
        });
        await client.StartAsync();
        var org = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IOrgGrain>(orgId).GetOrgAsync();

        Assert.Equal("Over TLS", org?.Name);
    }

    [Fact]
    public async Task OrleansClient_WithoutTls_CannotConnect_AndTheSiloGoesOn()
    {
        using var client = Client([]);

        await AssertCannotConnectAsync(client);

        await AssertSiloServesAsync();
    }

    [Fact]
    public async Task OrleansClient_WithACertificateOfAnotherCa_CannotConnect_AndTheSiloGoesOn()
    {
        var elsewhere = new ClusterPki(Path.Combine(silo.Pki.Directory, "elsewhere"), "elsewhere");
        var (certificate, key) = elsewhere.Issue("intruder");

        // The intruder trusts our CA (it knows whom it is calling); its own certificate is what is refused.
        using var client = Client(new Dictionary<string, string?>
        {
            ["Orleans:Tls:CertificatePath"] = certificate,
            ["Orleans:Tls:KeyPath"] = key,
            ["Orleans:Tls:CaCertificatePath"] = elsewhere.CaPath,
        }, trustOurCa: true);

        await AssertCannotConnectAsync(client);

        await AssertSiloServesAsync();
    }

    /// <summary>The client keeps trying and failing its TLS handshake: it has not connected after 10 s.</summary>
    private static async Task AssertCannotConnectAsync(IHost client)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<Exception>(() => client.StartAsync(patience.Token));
    }

    private async Task AssertSiloServesAsync()
    {
        using var admin = silo.Admin();
        var orgId = "org-" + Guid.NewGuid().ToString("N")[..10];
        await admin.PutOkAsync($"/api/v1/orgs/{orgId}", """{"name":"Still here"}""");
        Assert.Equal("Still here", (string)(await admin.GetOkAsync($"/api/v1/orgs/{orgId}"))["name"]!);
    }

    /// <summary>An Orleans client of the silo's gateway port, with the cluster TLS the settings give (none when empty).</summary>
    private IHost Client(Dictionary<string, string?> settings, bool trustOurCa = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var tls = ClusterTls.FromConfiguration(configuration, TestClock.Provider);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = "budgetcluster";
                cluster.ServiceId = "budgetcluster";
            });
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, silo.GatewayPort));
            if (tls is not null)
            {
                client.UseTls(options =>
                {
                    tls.Configure(options);
                    if (trustOurCa)
                    {
                        options.AllowAnyRemoteCertificate();
                    }
                });
            }
        });
        return builder.Build();
    }
}
