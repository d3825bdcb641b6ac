namespace BudgetCluster.TestSupport;

/// <summary>Debian's <c>chromium</c> for browser tests (installed when absent; never a browser download).</summary>
public static class Chromium
{
    private static readonly Lazy<string> Executable = new(Find);

    public static string Path => Executable.Value;

    private static string Find()
    {
        const string installed = "/usr/bin/chromium";
        if (!File.Exists(installed))
        {
            Commands.AptInstall("chromium");
        }

        return File.Exists(installed) ? installed : throw new InvalidOperationException("chromium was installed but /usr/bin/chromium is missing");
    }
}
