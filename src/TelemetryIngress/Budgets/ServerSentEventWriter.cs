using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// Writes <c>text/event-stream</c> framing to one response, each event flushed at once, and a
/// comment line whenever nothing was written for <see cref="KeepAlive"/>, so that proxies and the
/// gateway's idle timeout do not close a quiet stream.
/// </summary>
internal sealed class ServerSentEventWriter(HttpResponse response, CancellationToken aborted)
{
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Sends the headers, before the first event, so the client knows the stream is open.</summary>
    public Task StartAsync()
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Nginx and similar proxies would otherwise buffer events.
        response.Headers["X-Accel-Buffering"] = "no";
        return response.Body.FlushAsync(aborted);
    }

    public async Task WriteAsync(string id, string eventName, string data)
    {
        await response.WriteAsync($"id: {id}\nevent: {eventName}\ndata: {data}\n\n", aborted);
        await response.Body.FlushAsync(aborted);
    }

    /// <summary>
    /// Waits until <paramref name="reader"/> has an item (true) or is completed (false), writing a
    /// keep-alive comment every <see cref="KeepAlive"/> meanwhile. Throws when the client goes away.
    /// </summary>
    public async Task<bool> WaitToReadAsync<T>(ChannelReader<T> reader)
    {
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            wait.CancelAfter(KeepAlive);
            try
            {
                return await reader.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                await response.WriteAsync(": keep-alive\n\n", aborted);
                await response.Body.FlushAsync(aborted);
            }
        }
    }
}
