using System.Diagnostics;
using System.Globalization;
using BudgetCluster.TestSupport;

namespace BudgetCluster.Bench;

/// <summary>
/// The system under test as real processes on loopback, started the way an operator starts it:
/// <c>--store sqlite</c> is the embedded default (one silo process with its data plane);
/// <c>--store postgres --silos N</c> is the production topology (a throwaway PostgreSQL, N silos
/// and one separate ingress process). Everything lives in a temporary folder removed at the end.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-bench-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresServer? _postgres;

    private Cluster(string store, int silos)
    {
        Store = store;
        Silos = silos;
        Token = Guid.NewGuid().ToString("N");
        // Ctrl+C or a kill of the harness must not leave silos running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public string Store { get; }

    /// <summary>The silos' data directory (the embedded store's files are here).</summary>
    public string DataDirectory => _directory;

    public int Silos { get; }

    public string Token { get; }

    public Uri AdminUri { get; private set; } = null!;

    public Uri DataPlaneUri { get; private set; } = null!;

    /// <summary>The connection string of the cluster's PostgreSQL database (postgres store only).</summary>
    public string? PostgresConnectionString { get; private set; }

    public PostgresServer? Postgres => _postgres;

    /// <summary>The process that holds the grains (the first silo).</summary>
    public Process FirstSilo => _processes[0];

    public string Description => Store == "sqlite"
        ? "embedded SQLite, 1 silo with its data plane"
        : $"PostgreSQL, {Silos} silo{(Silos == 1 ? "" : "s")} + 1 ingress process";

    public static async Task<Cluster> StartAsync(Options options)
    {
        var store = options.Text("--store", "sqlite");
        var silos = options.Int("--silos", 1);
        if (store is not ("sqlite" or "postgres") || silos < 1 || (store == "sqlite" && silos != 1))
        {
            throw new ArgumentException("--store is sqlite (one silo) or postgres (--silos N)");
        }

        var cluster = new Cluster(store, silos);
        try
        {
            await cluster.LaunchAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task LaunchAsync()
    {
        Directory.CreateDirectory(_directory);
        var shared = new List<string> { $"--Storage:DataDirectory={_directory}", $"--Admin:Token={Token}" };
        if (Store == "postgres")
        {
            _postgres = PostgresServer.StartDedicated();
            PostgresConnectionString = await _postgres.CreateDatabaseAsync("bench");
            shared.Add("--Storage:Provider=PostgreSql");
            shared.Add($"--ConnectionStrings:PostgreSql={PostgresConnectionString}");
        }

        var dataPlanePort = LocalEndpoints.FreePort();
        DataPlaneUri = new Uri($"https://127.0.0.1:{dataPlanePort}");
        for (var i = 0; i < Silos; i++)
        {
            var adminPort = LocalEndpoints.FreePort();
            var admin = new Uri($"http://127.0.0.1:{adminPort}");
            AdminUri ??= admin;
            var embedded = Store == "sqlite";
            Launch("Silo", "BudgetCluster.Silo.dll", $"silo-{i}",
            [
                .. shared,
                $"--Urls={admin}",
                $"--Orleans:SiloPort={LocalEndpoints.FreePort()}",
                $"--Orleans:GatewayPort={LocalEndpoints.FreePort()}",
                embedded ? $"--DataPlane:Url={DataPlaneUri}" : "--DataPlane:Enabled=false",
            ]);
            // One at a time: the first start creates the CA the others then share.
            await WaitUntilAsync(() => LocalEndpoints.IsHealthyAsync(admin));
        }

        if (Store == "postgres")
        {
            Launch("TelemetryIngress", "BudgetCluster.TelemetryIngress.dll", "ingress",
                [.. shared, $"--DataPlane:Url={DataPlaneUri}", $"--Urls=http://127.0.0.1:{LocalEndpoints.FreePort()}"]);
            await WaitUntilAsync(() => LocalEndpoints.AcceptsConnectionsAsync(dataPlanePort));
        }
    }

    private void Launch(string project, string assembly, string name, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(RepositoryPrograms.PathOf("src", project, assembly));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var log = new StreamWriter(Path.Combine(_directory, name + ".log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    /// <summary>CPU seconds used so far by the silos and the ingress.</summary>
    public double ProcessCpuSeconds() => _processes.Sum(p => Cpu.ProcessSeconds(p.Id));

    /// <summary>Resident memory of a process in bytes, from /proc.</summary>
    public static long ResidentBytes(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        KillAll();
        foreach (var process in _processes)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }

        _processes.Clear();

        _postgres?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void KillAll()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
    }

    private async Task WaitUntilAsync(Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await ready())
        {
            if (_processes.Find(p => p.HasExited) is { } exited || DateTime.UtcNow > deadline)
            {
                var logs = string.Join("\n", Directory.GetFiles(_directory, "*.log").Select(ReadShared));
                throw new InvalidOperationException($"the cluster did not start:\n{logs}");
            }

            await Task.Delay(200);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Path.GetFileName(path) + ":\n" + new StreamReader(stream).ReadToEnd();
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }
}
