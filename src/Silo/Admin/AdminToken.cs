using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// The bearer token of the admin API and dashboard: <c>Admin:Token</c> when configured, otherwise
/// the one in <c>{data dir}/admin-token</c>, generated there (mode 0600) on first start. A token
/// shorter than <see cref="MinimumBytes"/> (an empty one included: a variable set to nothing, an
/// emptied file) refuses the start rather than letting a guessable token, or none, in.
/// </summary>
public sealed class AdminToken
{
    public const string FileName = "admin-token";

    /// <summary>The shortest token accepted, in UTF-8 bytes: 256 bits, what a generated one carries.</summary>
    public const int MinimumBytes = 32;

    private readonly byte[] _expected;

    private AdminToken(string value, string? filePath)
    {
        _expected = Encoding.UTF8.GetBytes(value);
        FilePath = filePath;
    }

    /// <summary>Where the token was read or written, or null when it came from configuration.</summary>
    public string? FilePath { get; }

    public static AdminToken Resolve(string? configured, string dataDirectory)
    {
        if (configured is not null)
        {
            return new AdminToken(LongEnough(configured.Trim(), "the configuration key Admin:Token"), null);
        }

        var path = Path.GetFullPath(Path.Combine(dataDirectory, FileName));
        if (File.Exists(path))
        {
            return new AdminToken(LongEnough(File.ReadAllText(path).Trim(), $"the file {path}"), path);
        }

        // Under the directory's lock, so processes starting together on one directory agree: a
        // rename that should not overwrite is not atomic on every file system .NET runs on.
        using var locked = PrivateFiles.LockDirectory(dataDirectory, TokenLockTimeout);
        if (File.Exists(path))
        {
            return new AdminToken(LongEnough(File.ReadAllText(path).Trim(), $"the file {path}"), path);
        }

        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return PrivateFiles.WriteAtomically(path, token, ownerOnly: true, overwrite: false)
            ? new AdminToken(token, path)
            : new AdminToken(LongEnough(File.ReadAllText(path).Trim(), $"the file {path}"), path);
    }

    private static readonly TimeSpan TokenLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Constant-time comparison, so response timing reveals nothing about the token.</summary>
    public bool Matches(string? presented) =>
        !string.IsNullOrEmpty(presented) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected);

    /// <summary>A key for <paramref name="purpose"/> derived from the token (HMAC-SHA256), so nothing else keyed by it reveals the token.</summary>
    public byte[] DeriveKey(string purpose) => HMACSHA256.HashData(_expected, Encoding.UTF8.GetBytes(purpose));

    private static string LongEnough(string token, string source)
    {
        var bytes = Encoding.UTF8.GetByteCount(token);
        return bytes >= MinimumBytes
            ? token
            : throw new InvalidOperationException(
                $"The admin token from {source} is {(bytes == 0 ? "empty" : $"{bytes} bytes long")}: it must be at least {MinimumBytes} bytes. "
                + $"Set a longer one (e.g. the output of 'openssl rand -base64 32'), or leave Admin:Token unset and delete the file to have one generated.");
    }
}
