namespace BudgetCluster.TestSupport;

/// <summary>Prometheus' <c>promtool</c> (Debian's <c>prometheus</c> package, installed when absent).</summary>
public static class Promtool
{
    private static readonly Lazy<string> Path = new(Find);

    /// <summary><c>promtool check metrics</c> of a scrape: its exit code and every problem it names.</summary>
    public static (int ExitCode, string Problems) CheckMetrics(string exposition) =>
        Commands.Run(Path.Value, exposition, "check", "metrics");

    private static string Find()
    {
        const string installed = "/usr/bin/promtool";
        if (!File.Exists(installed))
        {
            Commands.AptInstall("prometheus");
        }

        return File.Exists(installed) ? installed : throw new InvalidOperationException("prometheus was installed but /usr/bin/promtool is missing");
    }
}
