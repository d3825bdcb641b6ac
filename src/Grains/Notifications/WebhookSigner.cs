using System.Security.Cryptography;
using System.Text;

namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// Standard Webhooks signing (API.md §10): <c>v1,</c> and the base64 HMAC-SHA256, keyed with the
/// secret's bytes, of <c>{id}.{timestamp}.{body}</c>. Several secrets (a rotation's 24 h overlap)
/// give several signatures separated by spaces, as the specification allows; a receiver accepts
/// the message when any one verifies.
/// </summary>
public static class WebhookSigner
{
    public static string Sign(IEnumerable<byte[]> keys, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(id);
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{id}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return string.Join(' ', keys.Select(key => "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content))));
    }
}
