using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// The opaque <c>page</c> of a usage view: the fingerprint of the query it belongs to, the query's
/// <c>ending_at</c> as the first page resolved it (so a default "end of the current bucket" stays
/// put while a client pages across a bucket's end), and the <see cref="UsagePosition"/> to go on from.
/// </summary>
public sealed record UsagePageToken(string Fingerprint, DateTimeOffset EndingAt, UsagePosition Position)
{
    private const string Version = "u1";
    private const int MaxLength = 4_096;

    /// <summary>A short hash of a query's canonical text: a token carries it, so a token of another query is told apart.</summary>
    public static string FingerprintOf(string canonicalQuery)
    {
        ArgumentNullException.ThrowIfNull(canonicalQuery);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalQuery)).AsSpan(0, 12));
    }

    public string Encode()
    {
        var parts = new List<string>
        {
            Version,
            Fingerprint,
            EndingAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            Position.Bucket.ToString(CultureInfo.InvariantCulture),
        };
        if (Position.After is { } after)
        {
            parts.AddRange(after.Values.Select(value => "=" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value))));
        }

        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('.', parts)));
    }

    /// <summary>Reads what <see cref="Encode"/> wrote; null for anything else.</summary>
    public static UsagePageToken? TryDecode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length is 0 or > MaxLength)
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            if (parts.Length < 4 || parts[0] != Version
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var endingAt)
                || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var bucket)
                || parts.Skip(4).Any(part => !part.StartsWith('=')))
            {
                return null;
            }

            var values = parts.Skip(4).Select(part => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(part.AsSpan(1)))).ToImmutableArray();
            var after = parts.Length > 4 ? new GroupKey(values) : null;
            return new UsagePageToken(parts[1], DateTimeOffset.FromUnixTimeSeconds(endingAt), new UsagePosition(bucket, after));
        }
        catch (Exception error) when (error is FormatException or ArgumentOutOfRangeException or DecoderFallbackException)
        {
            return null;
        }
    }
}
