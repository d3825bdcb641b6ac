using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;

namespace BudgetCluster.TestSupport;

/// <summary>
/// A throwaway PostgreSQL server for this test process: its own data folder and port, started on
/// first use (installing Debian's postgresql package when no server binaries exist) and stopped
/// when the process exits. Tests take fresh databases from it, so they never share data.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string OwnerFile = "owner";

    private static readonly Lazy<PostgresServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _bin;
    private readonly string _directory;
    private Process _process;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
        _process = Launch();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        WaitUntilReady();
    }

    /// <summary>The server the tests of this process share; never stopped by a test.</summary>
    public static PostgresServer Instance => Shared.Value;

    /// <summary>A server of the caller's own, which it may stop and start (fault injection); dispose it.</summary>
    public static PostgresServer StartDedicated() => Start();

    public int Port { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
    }.ToString();

    /// <summary>A new empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "bc")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server at once, as a crash would (SIGKILL; it recovers from its WAL on start).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            // runuser, the postmaster and its backends, all at once.
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Starts the server again on the same data and port.</summary>
    public void Restart()
    {
        _process = Launch();
        WaitUntilReady();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }

        DeleteDirectory(_directory);
    }

    /// <summary>
    /// Deletes the folder of a stopped server. Backends that outlive a killed postmaster by a
    /// moment may still be writing in it, so a failed delete is tried again a few times.
    /// </summary>
    private static void DeleteDirectory(string directory)
    {
        for (var attempt = 0; attempt < 20 && Directory.Exists(directory); attempt++)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>
    /// Stops and deletes the servers of test processes that ended without stopping theirs (a test
    /// host killed at the end of a run never raises ProcessExit), so runs do not pile up servers
    /// and data folders. A folder belongs to the process named in its owner file; one without an
    /// owner file (written by an older version, or being created right now) is left alone until
    /// it is two hours old.
    /// </summary>
    private static void RemoveAbandoned()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), "bc-pg-*"))
        {
            var owner = Path.Combine(directory, OwnerFile);
            var abandoned = File.Exists(owner)
                ? !IsAlive(File.ReadAllText(owner))
                : Directory.GetCreationTimeUtc(directory) < DateTime.UtcNow.AddHours(-2);
            if (!abandoned)
            {
                continue;
            }

            var postmaster = Path.Combine(directory, "data", "postmaster.pid");
            if (File.Exists(postmaster) && int.TryParse(File.ReadLines(postmaster).FirstOrDefault(), out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    if (process.ProcessName == "postgres")
                    {
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(5000);
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }

            DeleteDirectory(directory);
        }
    }

    /// <summary>
    /// This process as an owner file names it: its id and its start in clock ticks since boot
    /// (<c>/proc/{pid}/stat</c>, which never changes for a process; ids are reused, and
    /// <see cref="Process.StartTime"/> moves by milliseconds between readers).
    /// </summary>
    private static string Owner() => $"{Environment.ProcessId} {StartTicks(Environment.ProcessId)}";

    private static bool IsAlive(string owner)
    {
        var parts = owner.Split(' ');
        return parts.Length == 2
            && int.TryParse(parts[0], out var pid)
            && StartTicks(pid) is { } started
            && started == parts[1];
    }

    /// <summary>Field 22 of <c>/proc/{pid}/stat</c> (after the parenthesised name, which may hold spaces); null when no such process runs.</summary>
    private static string? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static PostgresServer Start()
    {
        var bin = FindBinaries() ?? InstallAndFindBinaries();
        RemoveAbandoned();
        var directory = Path.Combine(Path.GetTempPath(), "bc-pg-" + Guid.NewGuid().ToString("N"));
        var data = Path.Combine(directory, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(directory, OwnerFile), Owner());
        Commands.RunChecked("chown", "-R", "postgres", directory);
        Commands.RunChecked("runuser", "-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        return new PostgresServer(bin, directory, LocalEndpoints.FreePort());
    }

    private Process Launch()
    {
        var start = new ProcessStartInfo("runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-u", "postgres", "--", Path.Combine(_bin, "postgres"), "-D", Path.Combine(_directory, "data"),
                     "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-k", _directory, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "fsync=on",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void WaitUntilReady()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                connection.Open();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException && DateTime.UtcNow < deadline)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"postgres exited with {_process.ExitCode}");
                }

                Thread.Sleep(100);
            }
        }
    }

    private static string? FindBinaries()
    {
        foreach (var version in new[] { "17", "16", "15", "14", "13" })
        {
            var bin = $"/usr/lib/postgresql/{version}/bin";
            if (File.Exists(Path.Combine(bin, "postgres")) && File.Exists(Path.Combine(bin, "initdb")))
            {
                return bin;
            }
        }

        return null;
    }

    private static string InstallAndFindBinaries()
    {
        Commands.AptInstall("postgresql");
        return FindBinaries() ?? throw new InvalidOperationException("postgresql was installed but its server binaries were not found under /usr/lib/postgresql");
    }
}
