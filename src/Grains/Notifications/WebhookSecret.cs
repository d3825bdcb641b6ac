using System.Security.Cryptography;

namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// A webhook endpoint's signing secret: <c>whsec_</c> and the base64 of 32 random bytes, the form the
/// Standard Webhooks libraries take. The key that signs is the decoded bytes.
/// </summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    private const int KeyBytes = 32;

    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>The key of a secret made by <see cref="Generate"/>.</summary>
    public static byte[] Key(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return secret.StartsWith(Prefix, StringComparison.Ordinal)
            ? Convert.FromBase64String(secret[Prefix.Length..])
            : throw new FormatException("a webhook secret starts with whsec_");
    }
}
