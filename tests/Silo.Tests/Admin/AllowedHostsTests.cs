using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary><c>AllowedHosts</c> limits the Host names the admin listener answers (ASP.NET Core's host filtering).</summary>
public sealed class AllowedHostsTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-hosts-" + Guid.NewGuid().ToString("N"));
    private SiloProcess _silo = null!;

    public async Task InitializeAsync() =>
        _silo = await SiloProcess.StartAsync(_dataDirectory, "--AllowedHosts=admin.example.com;127.0.0.1");

    [Fact]
    public async Task AdminRequest_ForAHostNotAllowed_Is400_AndAnAllowedOneIsServed()
    {
        using var admin = new AdminClient(_silo.AdminUri, SiloFixture.Token);
        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/v1/orgs/acme");
        foreign.Headers.Host = "evil.example.net";
        using var named = new HttpRequestMessage(HttpMethod.Put, "/api/v1/orgs/acme") { Content = new StringContent("""{"name":"Acme"}""", System.Text.Encoding.UTF8, "application/json") };
        named.Headers.Host = "admin.example.com";

        using var refused = await admin.SendAsync(foreign);
        using var served = await admin.SendAsync(named);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True(served.IsSuccessStatusCode, served.StatusCode.ToString());
        Assert.Equal("Acme", (string)(await admin.GetOkAsync("/api/v1/orgs/acme"))["name"]!);
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
