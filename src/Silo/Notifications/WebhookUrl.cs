using System.Net;
using BudgetCluster.Grains.Notifications;

namespace BudgetCluster.Silo.Notifications;

/// <summary>
/// Which endpoint URLs the admin API takes (API.md §10): absolute <c>https</c> (or <c>http</c> with
/// <c>Webhooks:AllowHttp</c>), no credentials, and, unless <c>Webhooks:AllowPrivateNetworks</c>,
/// not a literal private, loopback or link-local address nor <c>localhost</c>. A name is checked
/// again, resolved, at every attempt (<see cref="WebhookSender.ConnectAsync"/>).
/// </summary>
public static class WebhookUrl
{
    public const int MaxLength = 2048;

    /// <summary>What is wrong with <paramref name="url"/>, or null.</summary>
    public static string? Problem(string? url, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(url))
        {
            return "missing required field 'url'";
        }

        if (url.Length > MaxLength)
        {
            return $"'url' is longer than {MaxLength} characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"'url' must be an absolute https URL (got '{url}')";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !options.AllowHttp)
        {
            return "'url' must be https: plain http is refused unless Webhooks:AllowHttp is set";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "'url' must not carry credentials (user:password@): a receiver verifies the signature instead";
        }

        if (options.AllowPrivateNetworks)
        {
            return null;
        }

        var host = uri.IdnHost.TrimStart('[').TrimEnd(']').TrimEnd('.');
        var local = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
        return local || (IPAddress.TryParse(host, out var address) && NetworkGuard.IsPrivate(address))
            ? $"'url' points to '{host}', a loopback, private or link-local address: refused unless Webhooks:AllowPrivateNetworks is set"
            : null;
    }
}
