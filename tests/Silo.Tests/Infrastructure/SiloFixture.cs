using System.Security.Cryptography.X509Certificates;
using BudgetCluster.Silo.Hosting;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// One complete single-node system in this process, as <c>dotnet run --project src/Silo</c> starts
/// it, on its own data directory and free ports: real SQLite files, real Kestrel, real TLS.
/// Tests share it but each onboards its own org, environment and gateway.
/// </summary>
public class SiloFixture : IAsyncLifetime
{
    public const string Token = "test-admin-token-of-at-least-32-bytes";

    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "bc-silo-" + Guid.NewGuid().ToString("N"));

    public Uri AdminUri { get; private set; } = null!;

    public Uri DataPlaneUri { get; private set; } = null!;

    /// <summary>The silo's Orleans gateway port, where clients (an ingress) connect.</summary>
    public int GatewayPort { get; } = LocalEndpoints.FreePort();

    public X509Certificate2 Ca { get; private set; } = null!;

    public WebApplication App => _app!;

    /// <summary>Configuration a derived fixture adds to the defaults, as command-line arguments.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>The clock the system runs on; a derived fixture may supply one it controls.</summary>
    protected virtual TimeProvider Time => TestClock.Provider;

    public virtual async Task InitializeAsync()
    {
        _app = SiloHost.Build(
        [
            .. ExtraArguments,
            "--Urls=http://127.0.0.1:0",
            "--DataPlane:Url=https://127.0.0.1:0",
            $"--Storage:DataDirectory={DataDirectory}",
            $"--Orleans:SiloPort={LocalEndpoints.FreePort()}",
            $"--Orleans:GatewayPort={GatewayPort}",
            $"--Admin:Token={Token}",
            "--Logging:LogLevel:Default=Warning",
            // Tests read a budget right after the acknowledgement of its usage. The ack waits for
            // the budgets' answers only a moment (Gateways:BudgetWaitOnAck); on a loaded 2-core CI
            // machine a budget can take longer than that, so these tests let it wait.
            "--Gateways:BudgetWaitOnAck=00:00:05",
        ], Time);
        await _app.StartAsync();
        AdminUri = new Uri(_app.Urls.Single());
        DataPlaneUri = _app.Services.GetRequiredService<DataPlaneServer>().BoundAddress!;
        Ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(DataDirectory, "pki", "ca.crt.pem")));
    }

    public AdminClient Admin(string? token = Token) => new(AdminUri, token);

    /// <summary>A fresh org, environment, the fixture models (suffixed so tests never share them) and a gateway.</summary>
    public Task<TestWorld> OnboardAsync() => TestWorld.CreateAsync(this);

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
