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

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> whole: into a temporary file beside
    /// it, flushed to disk, then renamed onto it, so a reader sees the old content or the new,
    /// never a part, and a crash leaves the old file. With <paramref name="overwrite"/> false an
    /// existing file wins (another process wrote it first) and the answer is false.
    /// </summary>
    public static bool WriteAtomically(string path, string text, bool ownerOnly, bool overwrite = true)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = ownerOnly ? WriteOptions(FileMode.CreateNew) : new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            using (var file = new FileStream(temporary, options))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(text));
                file.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, path, overwrite);
                return true;
            }
            catch (IOException) when (!overwrite && File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// An exclusive lock on <paramref name="directory"/> (its <c>.lock</c> file) between processes,
    /// held until disposed: what makes "create it unless it exists" one step for files that belong
    /// together (a key and its certificate). Waits up to <paramref name="timeout"/> for another holder.
    /// </summary>
    public static IDisposable LockDirectory(string directory, TimeSpan timeout)
    {
        CreateDirectory(directory);
        var path = Path.Combine(directory, ".lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, a sharing mode on Windows.
                var options = WriteOptions(FileMode.OpenOrCreate);
                options.Share = FileShare.None;
                return new FileStream(path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
