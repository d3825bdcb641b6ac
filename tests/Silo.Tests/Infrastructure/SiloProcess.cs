using System.Diagnostics;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// The silo as a real operating-system process (the built BudgetCluster.Silo.dll), so a test can
/// kill it with SIGKILL: no graceful shutdown, no deactivation, no final snapshot.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _logPath;

    private SiloProcess(Process process, string logPath, Uri admin, Uri dataPlane)
    {
        _process = process;
        _logPath = logPath;
        AdminUri = admin;
        DataPlaneUri = dataPlane;
    }

    public Uri AdminUri { get; }

    public Uri DataPlaneUri { get; }

    public static async Task<SiloProcess> StartAsync(string dataDirectory, params string[] extraArgs)
    {
        var adminPort = FreePorts.Next();
        var dataPlanePort = FreePorts.Next();
        var logPath = Path.Combine(dataDirectory, $"silo-{adminPort}.log");
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var arg in new[]
                 {
                     SiloAssemblyPath(),
                     $"--Urls=http://127.0.0.1:{adminPort}",
                     $"--DataPlane:Url=https://127.0.0.1:{dataPlanePort}",
                     $"--Storage:DataDirectory={dataDirectory}",
                     $"--Orleans:SiloPort={FreePorts.Next()}",
                     $"--Orleans:GatewayPort={FreePorts.Next()}",
                     $"--Admin:Token={SiloFixture.Token}",
                 }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var silo = new SiloProcess(process, logPath, new Uri($"http://127.0.0.1:{adminPort}"), new Uri($"https://127.0.0.1:{dataPlanePort}"));
        await silo.WaitUntilHealthyAsync();
        return silo;
    }

    /// <summary>SIGKILL: the process ends at once, mid-whatever it was doing.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {_process.ExitCode}:\n{ReadLog()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(AdminUri, "/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the silo did not become healthy in 60 s:\n{ReadLog()}");
    }

    private string ReadLog()
    {
        using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>The silo built next to this test assembly's configuration (Debug or Release).</summary>
    private static string SiloAssemblyPath()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testDirectory.Name;
        var configuration = testDirectory.Parent!.Name;
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "src", "Silo", "bin", configuration, framework, "BudgetCluster.Silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the silo is not at " + path);
    }
}
