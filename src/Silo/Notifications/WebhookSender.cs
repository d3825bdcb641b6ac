using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using BudgetCluster.Grains.Notifications;

namespace BudgetCluster.Silo.Notifications;

/// <summary>
/// One attempt of a webhook (API.md §10) through the <c>webhooks</c> client of
/// <see cref="IHttpClientFactory"/>: its resilience pipeline bounds the attempt to
/// <see cref="WebhookOptions.AttemptTimeout"/> (the retry schedule is the webhooks grain's), it
/// follows no redirect, and it connects only to addresses the rules allow, checked on the address
/// it connects to, after resolving the name at send time (<see cref="ConnectAsync"/>), so a name that
/// turns to a private address later (DNS rebinding) is refused.
/// </summary>
public sealed partial class WebhookSender(IHttpClientFactory clients, TimeProvider time, ILogger<WebhookSender> logger) : IWebhookSender
{
    public const string ClientName = "webhooks";

    public async Task<SendOutcome> SendAsync(string orgId, string url, IReadOnlyList<byte[]> keys, WebhookMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = WebhookPayload.Write(orgId, message);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", message.EventId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSigner.Sign(keys, message.EventId, timestamp, body));
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new SendOutcome(true, status, null)
                : new SendOutcome(false, status, status is >= 300 and < 400 ? "redirects are not followed" : null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or TimeoutException
            or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            var error = Describe(ex);
            LogRefused(logger, orgId, message.EventId, error);
            return new SendOutcome(false, null, error);
        }
    }

    /// <summary>
    /// Connects to the first allowed address the endpoint's name resolves to now; none allowed
    /// refuses the attempt with the reason. The TLS handshake then checks the name as usual.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : [.. addresses.Where(address => !NetworkGuard.IsPrivate(address))];
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(addresses.Length == 0
                ? $"'{host}' does not resolve"
                : $"'{host}' resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}: a private, loopback or link-local address (Webhooks:AllowPrivateNetworks is off)");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException => "no answer within the attempt's timeout",
        HttpRequestException { InnerException: { } inner } http when http.Message != inner.Message => $"{http.Message} ({inner.Message})",
        _ => ex.Message,
    };

    [LoggerMessage(7101, LogLevel.Warning, "Webhook delivery of {EventId} for org {OrgId} not made: {Error}")]
    private static partial void LogRefused(ILogger logger, string orgId, string eventId, string error);
}
