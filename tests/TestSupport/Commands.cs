using System.Diagnostics;

namespace BudgetCluster.TestSupport;

/// <summary>Programs of the machine (apt-get, promtool, pg_ctl) run to completion.</summary>
public static class Commands
{
    /// <summary>Runs <paramref name="command"/>, feeding it <paramref name="input"/>; its exit code and what it wrote to stdout and stderr.</summary>
    public static (int ExitCode, string Output) Run(string command, string? input, params string[] args) =>
        RunIn(Environment.CurrentDirectory, command, input, args);

    /// <summary>Runs <paramref name="command"/> in <paramref name="directory"/>, feeding it <paramref name="input"/>; its exit code and output.</summary>
    public static (int ExitCode, string Output) RunIn(string directory, string command, string? input, params string[] args)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        process.WaitForExit();
        return (process.ExitCode, error.Result + output.Result);
    }

    /// <summary>Runs <paramref name="command"/>; throws with its output unless it exits with 0.</summary>
    public static void RunChecked(string command, params string[] args)
    {
        var (exitCode, output) = Run(command, null, args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} exited with {exitCode}: {output}");
        }
    }

    /// <summary>Installs Debian packages (as the PostgreSQL and Prometheus tools need, when absent).</summary>
    public static void AptInstall(params string[] packages)
    {
        RunChecked("apt-get", "update", "-q");
        RunChecked("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends", .. packages]);
    }
}
