using System.Diagnostics;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// The silo (BudgetCluster.Silo.dll) or a separate ingress (BudgetCluster.TelemetryIngress.dll) as
/// a real operating-system process, so a test can kill it with SIGKILL: no graceful shutdown, no
/// deactivation, no final snapshot.
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

    public static Task<SiloProcess> StartAsync(string dataDirectory, params string[] extraArgs) =>
        StartUntilReadyAsync(
            () =>
            {
                var adminPort = LocalEndpoints.FreePort();
                var dataPlanePort = LocalEndpoints.FreePort();
                return Launch("Silo", "BudgetCluster.Silo.dll", dataDirectory, adminPort, dataPlanePort,
                [
                    $"--Urls=http://127.0.0.1:{adminPort}",
                    $"--DataPlane:Url=https://127.0.0.1:{dataPlanePort}",
                    $"--Storage:DataDirectory={dataDirectory}",
                    $"--Orleans:SiloPort={LocalEndpoints.FreePort()}",
                    $"--Orleans:GatewayPort={LocalEndpoints.FreePort()}",
                    $"--Admin:Token={SiloFixture.Token}",
                    .. extraArgs,
                ]);
            },
            silo => LocalEndpoints.IsHealthyAsync(silo.AdminUri));

    /// <summary>A separate ingress process on its own data plane port; ready once that port accepts connections and its operations listener answers /healthz.</summary>
    public static Task<SiloProcess> StartIngressAsync(string dataDirectory, params string[] extraArgs) =>
        StartIngressAsync(dataDirectory, LocalEndpoints.FreePort(), extraArgs);

    /// <summary>
    /// A separate ingress on the given data plane port (a restarted ingress keeps its address); its
    /// operations listener (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>) is <see cref="AdminUri"/>.
    /// </summary>
    public static Task<SiloProcess> StartIngressAsync(string dataDirectory, int dataPlanePort, params string[] extraArgs) =>
        StartUntilReadyAsync(
            () =>
            {
                var operationsPort = LocalEndpoints.FreePort();
                return Launch("TelemetryIngress", "BudgetCluster.TelemetryIngress.dll", dataDirectory, operationsPort, dataPlanePort,
                [
                    $"--Urls=http://127.0.0.1:{operationsPort}",
                    $"--DataPlane:Url=https://127.0.0.1:{dataPlanePort}",
                    $"--Storage:DataDirectory={dataDirectory}",
                    .. extraArgs,
                ]);
            },
            // The data plane listener starts before the operations listener: a test that reads
            // /readyz right after the data plane accepts can find nobody there yet.
            async ingress => await LocalEndpoints.AcceptsConnectionsAsync(dataPlanePort) && await LocalEndpoints.IsHealthyAsync(ingress.AdminUri));

    /// <summary>
    /// Launches until <paramref name="ready"/> holds. A port found free that was taken by someone
    /// else (another test's process or an outgoing connection) before the process bound it ends
    /// that process: it is launched again (on new ports where <paramref name="launch"/> picks them), twice at most.
    /// </summary>
    private static async Task<SiloProcess> StartUntilReadyAsync(Func<SiloProcess> launch, Func<SiloProcess, Task<bool>> ready)
    {
        for (var attempt = 1; ; attempt++)
        {
            var process = launch();
            try
            {
                await process.WaitUntilAsync(() => ready(process));
                return process;
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await process.DisposeAsync();
            }
        }
    }

    private static SiloProcess Launch(string project, string assembly, string dataDirectory, int adminPort, int dataPlanePort, string[] args)
    {
        var logPath = Path.Combine(dataDirectory, $"{project}-{dataPlanePort}.log");
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        // A failed test is diagnosed from this log: each line says when it happened, and the
        // membership and stream agents say what they did after a silo died.
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        start.Environment["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
        start.Environment["Logging__LogLevel__Orleans.Streams"] = "Information";
        start.ArgumentList.Add(RepositoryPrograms.PathOf("src", project, assembly));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(process, logPath, new Uri($"http://127.0.0.1:{adminPort}"), new Uri($"https://127.0.0.1:{dataPlanePort}"));
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

    private async Task WaitUntilAsync(Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Without a timeout, this also waits until the redirected output has all been read
                // into the log: a process that fails at start writes its reason just before it exits.
                _process.WaitForExit();
                throw new InvalidOperationException($"the process exited with {_process.ExitCode}:\n{ReadLog()}");
            }

            if (await ready())
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the process did not become ready in 60 s:\n{ReadLog()}");
    }

    /// <summary>What the process has written so far.</summary>
    public string ReadLog()
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
}
