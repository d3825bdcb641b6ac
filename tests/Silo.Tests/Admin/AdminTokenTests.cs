using BudgetCluster.Silo.Admin;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Admin;

/// <summary>
/// The admin token: a short or empty one, configured or in the file, refuses the start, so no
/// guessable token (or none at all) opens the admin API; an empty presented token never matches.
/// </summary>
public sealed class AdminTokenTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "bc-token-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("", "The admin token from the configuration key Admin:Token is empty: it must be at least 32 bytes")]
    [InlineData("   ", "The admin token from the configuration key Admin:Token is empty: it must be at least 32 bytes")]
    [InlineData("hunter2", "The admin token from the configuration key Admin:Token is 7 bytes long: it must be at least 32 bytes")]
    [InlineData("0123456789abcdef0123456789abcde", "is 31 bytes long")]
    public void Resolve_ConfiguredTokenShorterThan32Bytes_Throws(string configured, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => AdminToken.Resolve(configured, _dataDirectory));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDirectory, AdminToken.FileName)), "no token file was written");
    }

    [Fact]
    public void Resolve_ConfiguredTokenOf32Bytes_MatchesOnlyItself()
    {
        var token = AdminToken.Resolve("  0123456789abcdef0123456789abcdef ", _dataDirectory);

        Assert.True(token.Matches("0123456789abcdef0123456789abcdef"));
        Assert.False(token.Matches("0123456789abcdef0123456789abcde"));
        Assert.False(token.Matches(""));
        Assert.False(token.Matches(null));
        Assert.Null(token.FilePath);
    }

    [Fact]
    public void Resolve_EmptiedTokenFile_Throws_AndKeepsTheFile()
    {
        Directory.CreateDirectory(_dataDirectory);
        var path = Path.Combine(_dataDirectory, AdminToken.FileName);
        File.WriteAllText(path, "\n");

        var error = Assert.Throws<InvalidOperationException>(() => AdminToken.Resolve(null, _dataDirectory));

        Assert.Contains($"The admin token from the file {path} is empty", error.Message, StringComparison.Ordinal);
        Assert.Equal("\n", File.ReadAllText(path));
    }

    [Fact]
    public void Resolve_NoTokenAnywhere_GeneratesOneOf32RandomBytes_ThatTheNextStartReads()
    {
        var first = AdminToken.Resolve(null, _dataDirectory);
        var text = File.ReadAllText(first.FilePath!);

        Assert.Equal(43, text.Length);
        Assert.True(first.Matches(text));
        Assert.True(AdminToken.Resolve(null, _dataDirectory).Matches(text));
        Assert.False(first.Matches(""));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.FilePath!));
        }
    }

    [Fact]
    public async Task Resolve_ManyStartsAtOnceWithNoToken_AllGetTheOneWrittenFirst()
    {
        // Processes sharing a data directory and starting together: none may read a half-written
        // (empty) file and refuse to start, and all must end with the token the file holds.
        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => AdminToken.Resolve(null, _dataDirectory))));

        var stored = await File.ReadAllTextAsync(Path.Combine(_dataDirectory, AdminToken.FileName));
        Assert.All(tokens, token => Assert.True(token.Matches(stored)));
        Assert.Empty(Directory.GetFiles(_dataDirectory, "*.tmp"));
    }

    [Fact]
    public async Task Silo_StartedWithAnEmptyAdminToken_ExitsNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(_dataDirectory, "--Admin:Token="));

        Assert.Contains("the process exited with", error.Message, StringComparison.Ordinal);
        Assert.Contains("The admin token from the configuration key Admin:Token is empty", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
