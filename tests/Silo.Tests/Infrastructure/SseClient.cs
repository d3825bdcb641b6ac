using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>A minimal server-sent-events reader over a gateway's HTTPS connection.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> ConnectAsync(GatewayClient gateway, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/dp/budget_events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseClient(response);
    }

    /// <summary>The next event, or a timeout failure naming what was awaited.</summary>
    public async Task<SseEvent> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _events.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no server-sent event arrived in time");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the event stream ended (HTTP {(int)_response.StatusCode}) before another event came");
        }
    }

    /// <summary>Skips events until one named <paramref name="name"/> arrives.</summary>
    public async Task<SseEvent> NextNamedAsync(string name, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var next = await NextAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (next.Name == name)
            {
                return next;
            }
        }
    }

    public bool TryNext(out SseEvent? next) => _events.Reader.TryRead(out next);

    /// <summary>Whether the server ends the stream (closes it or breaks the connection) within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan timeout) => await Task.WhenAny(_reader, Task.Delay(timeout)) == _reader;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _reader;
        }
        // The reader stops however the disposed response ends it; ArgumentException: it was disposed
        // before the reader opened its stream (a client closed at once, e.g. after a 429).
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException or ArgumentException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null, name = null;
        var data = new StringBuilder();
        while (!_stop.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(_stop.Token);
            if (line is null)
            {
                _events.Writer.TryComplete();
                return;
            }

            if (line.Length == 0)
            {
                if (name is not null)
                {
                    _events.Writer.TryWrite(new SseEvent(id, name, JsonNode.Parse(data.ToString())!));
                }

                id = name = null;
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }
    }
}

/// <summary>One server-sent event.</summary>
public sealed record SseEvent(string? Id, string Name, JsonNode Data);
