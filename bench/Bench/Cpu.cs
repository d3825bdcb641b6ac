using System.Globalization;

namespace BudgetCluster.Bench;

/// <summary>CPU time (user + system) of processes, from /proc: where a run's cores went.</summary>
internal static class Cpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0; // the process has ended
        }
    }

    public static double ThisProcessSeconds() => ProcessSeconds(Environment.ProcessId);

    /// <summary>Every process of an operating-system user (PostgreSQL's backends).</summary>
    public static double UserSeconds(string user)
    {
        var uid = File.ReadLines("/etc/passwd").Select(line => line.Split(':')).FirstOrDefault(f => f[0] == user)?[2];
        if (uid is null)
        {
            return 0;
        }

        var total = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && OwnedBy(pid, uid))
            {
                total += ProcessSeconds(pid);
            }
        }

        return total;
    }

    private static bool OwnedBy(int pid, string uid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>CPU seconds spent by the cluster's processes, its database and this load generator between two moments.</summary>
internal readonly record struct CpuUse(double Cluster, double Database, double LoadGenerator)
{
    public static CpuUse Now(Cluster cluster) =>
        new(cluster.ProcessCpuSeconds(), cluster.Postgres is null ? 0 : Cpu.UserSeconds("postgres"), Cpu.ThisProcessSeconds());

    public static CpuUse operator -(CpuUse after, CpuUse before) =>
        new(after.Cluster - before.Cluster, after.Database - before.Database, after.LoadGenerator - before.LoadGenerator);

    /// <summary>"cluster 812 µs, database 0 µs, load generator 95 µs per event".</summary>
    public string Per(double count, string unit) => string.Create(CultureInfo.InvariantCulture,
        $"CPU per {unit}: cluster processes {Cluster / count * 1e6:N1} µs, PostgreSQL {Database / count * 1e6:N1} µs, load generator {LoadGenerator / count * 1e6:N1} µs");
}
