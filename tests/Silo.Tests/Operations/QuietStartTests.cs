using System.Text.RegularExpressions;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Operations;

/// <summary>A first start, as a newcomer makes it: nothing in its log that reads as a fault, and each listener named once.</summary>
public sealed partial class QuietStartTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-quiet-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task FirstStart_LogsNoWarningOrError_OneLinePerListener_AndWhereTheTokenIs()
    {
        await using var silo = await SiloProcess.StartAsync(_dataDirectory);
        using var admin = new AdminClient(silo.AdminUri, SiloFixture.Token);
        await admin.GetOkAsync("/readyz");
        await admin.PutOkAsync("/api/v1/orgs/acme", """{"name":"Acme"}""");
        // Orleans' watchdog checks its participants every 10 s: past its first round and a half.
        await Task.Delay(TimeSpan.FromSeconds(15));
        await admin.GetOkAsync("/readyz");
        await silo.KillAsync();

        var log = silo.ReadLog();
        Assert.DoesNotMatch(Severe(), log);
        Assert.Single(Regex.Matches(log, "Orleans silo listening on 127\\.0\\.0\\.1:[0-9]+, gateway \\(for ingress processes\\) on 127\\.0\\.0\\.1:[0-9]+"));
        Assert.Single(Regex.Matches(log, "Data plane listening on https://127\\.0\\.0\\.1:[0-9]+/ \\(mTLS\\)"));
        Assert.Single(Regex.Matches(log, $"Admin API, dashboard, health and metrics on {Regex.Escape(silo.AdminUri.ToString().TrimEnd('/'))}; admin token from"));
    }

    /// <summary>The simple console formatter's level of a warning, an error or a critical line.</summary>
    [GeneratedRegex(@"\b(warn|fail|crit):")]
    private static partial Regex Severe();

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
