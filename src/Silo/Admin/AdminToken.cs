using System.Security.Cryptography;
using System.Text;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// The bearer token of the admin API and dashboard: <c>Admin:Token</c> when configured, otherwise
/// the one in <c>{data dir}/admin-token</c>, generated there (mode 0600) on first start.
/// </summary>
public sealed class AdminToken
{
    public const string FileName = "admin-token";

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
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new AdminToken(configured.Trim(), null);
        }

        var path = Path.GetFullPath(Path.Combine(dataDirectory, FileName));
        if (File.Exists(path))
        {
            return new AdminToken(File.ReadAllText(path).Trim(), path);
        }

        Directory.CreateDirectory(dataDirectory);
        var token = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, Encoding.ASCII, options))
        {
            writer.Write(token);
        }

        return new AdminToken(token, path);
    }

    /// <summary>Constant-time comparison, so response timing reveals nothing about the token.</summary>
    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected);

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
