namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// The data directory holds the CA key, the admin token and every ledger row: what this process
/// creates there is readable by its own user only (directories 0700, files 0600). An existing
/// directory or file keeps the mode its owner gave it.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Options that open <paramref name="mode"/> for writing and create the file 0600 (on Unix).</summary>
    public static FileStreamOptions WriteOptions(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with the restrictive mode, so the file is never readable by others, not even briefly.
            options.UnixCreateMode = OwnerReadWrite;
        }

        return options;
    }

    /// <summary>Creates <paramref name="path"/> and any missing parent, each 0700.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        // Directory.CreateDirectory gives the mode to the last directory only: create the missing
        // parents one by one, outermost first.
        var missing = new Stack<string>();
        for (var at = Path.GetFullPath(path); !Directory.Exists(at); at = Path.GetDirectoryName(at)!)
        {
            missing.Push(at);
        }

        while (missing.TryPop(out var directory))
        {
            Directory.CreateDirectory(directory, DirectoryMode);
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> empty with mode 0600 unless it exists, so that a database
    /// opened there next starts private (SQLite gives its journal and WAL files the database's mode).
    /// </summary>
    public static void CreateFile(string path)
    {
        try
        {
            using var created = new FileStream(path, WriteOptions(FileMode.CreateNew));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by someone else first (another process on the same directory): keep theirs.
        }
    }
}
