using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BudgetCluster.Silo.Admin;

/// <summary>
/// The dashboard's browser sessions: what <c>/login</c> puts in the cookie instead of the admin
/// token. A session is <c>{expiry, unix seconds}.{random id}.{HMAC-SHA256 of both}</c>, keyed by a key
/// derived from the admin token: any silo with the same token accepts it, nobody can make one
/// without the token, a stolen cookie is not the token and ends at its expiry, and changing the
/// token ends every session. Logging out removes the cookie from the browser; a copy of it stays
/// valid until it expires (sessions are not stored).
/// </summary>
public sealed class DashboardSessions(AdminToken token, TimeProvider time)
{
    /// <summary>How long a session lasts from its login.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly byte[] _key = token.DeriveKey("budgetcluster dashboard session v1");

    /// <summary>A new session that ends <see cref="Lifetime"/> from now.</summary>
    public string Create()
    {
        var expires = time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = $"{expires}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16))}";
        return $"{body}.{Sign(body)}";
    }

    /// <summary>Whether <paramref name="session"/> was made by <see cref="Create"/> with this token and has not expired.</summary>
    public bool IsValid(string? session)
    {
        if (string.IsNullOrEmpty(session) || session.Length > 200)
        {
            return false;
        }

        var last = session.LastIndexOf('.');
        var first = session.IndexOf('.', StringComparison.Ordinal);
        if (first <= 0 || last == first)
        {
            return false;
        }

        var body = session[..last];
        var expected = Encoding.ASCII.GetBytes(Sign(body));
        var presented = Encoding.ASCII.GetBytes(session[(last + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, presented)
            && long.TryParse(session.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            && time.GetUtcNow().ToUnixTimeSeconds() < expires;
    }

    private string Sign(string body) => Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)));
}
