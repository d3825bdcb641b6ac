using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;
using Xunit.Abstractions;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>
/// The OpenAPI document is good enough for a generator: Kiota (the repository's dotnet tool)
/// generates a C# client from a running silo's document, the client compiles, and it walks the
/// README's onboarding against that silo, typed errors included.
/// </summary>
public sealed class GeneratedClientTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-kiota-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AKiotaClientFromTheLiveDocument_Compiles_AndWalksTheOnboarding()
    {
        await using var silo = await SiloProcess.StartAsync(Path.Combine(_directory, "data"));
        using var http = new HttpClient();
        var document = Path.Combine(_directory, "openapi.json");
        await File.WriteAllTextAsync(document, await http.GetStringAsync(new Uri(silo.AdminUri, "/openapi/v1.json")));
        var project = Path.Combine(_directory, "walkthrough");
        Directory.CreateDirectory(project);
        var sources = Path.Combine(RepositoryPrograms.Root, "tests", "Silo.Tests", "Operations", "GeneratedClient");
        File.Copy(Path.Combine(sources, "Walkthrough.csproj.txt"), Path.Combine(project, "Walkthrough.csproj"));
        File.Copy(Path.Combine(sources, "Walkthrough.cs.txt"), Path.Combine(project, "Program.cs"));

        Dotnet(RepositoryPrograms.Root, "tool", "restore");
        Dotnet(RepositoryPrograms.Root, "kiota", "generate", "--language", "CSharp", "--openapi", document,
            "--output", Path.Combine(project, "Client"), "--namespace-name", "BudgetCluster.Client", "--class-name", "AdminClient",
            "--exclude-backward-compatible");
        Dotnet(project, "build", "-v", "q", "-nologo");
        var walked = Dotnet(project, "run", "--no-build", "--", silo.AdminUri.ToString().TrimEnd('/'), SiloFixture.Token);

        var lines = walked.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
        Assert.Equal("dp-east-1 True", lines["certificate"]);
        Assert.EndsWith(" 1.00 0.5,0.8", lines["budget"], StringComparison.Ordinal);
        Assert.Equal("ok 0.00 1.00", lines["status"]);
        Assert.Equal("acme", lines["orgs"]);
        Assert.Equal("k-frontend:web", lines["keys"]);
        Assert.Equal("404 org 'no-such-org' not found", lines["refusal"]);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        var budgetId = lines["budget"].Split(' ')[0];
        Assert.Equal("frontend", (string)(await admin.GetOkAsync($"/api/v1/budgets/{budgetId}"))["name"]!);
    }

    /// <summary>Runs <c>dotnet</c>; its output, or a failure that shows it.</summary>
    private string Dotnet(string directory, params string[] args)
    {
        var (exitCode, text) = Commands.RunIn(directory, "dotnet", null, args);
        output.WriteLine($"dotnet {string.Join(' ', args)} (exit {exitCode}):\n{text}");
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', args)} exited with {exitCode}:\n{text}");
        return text;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
