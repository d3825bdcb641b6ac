using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// A webhook receiver: Kestrel on loopback that records every request (headers and body) and
/// answers each with the next planned status (200 once the plan is used up).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private readonly Queue<int> _plan = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            int status;
            lock (receiver._plan)
            {
                status = receiver._plan.Count > 0 ? receiver._plan.Dequeue() : 200;
            }

            await receiver._received.Writer.WriteAsync(new Received(headers, body.ToArray(), status));
            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        receiver.Url = app.Urls.Single() + "/hook";
        return receiver;
    }

    /// <summary>Answers the next requests with these statuses, in order.</summary>
    public void Plan(params int[] statuses)
    {
        lock (_plan)
        {
            foreach (var status in statuses)
            {
                _plan.Enqueue(status);
            }
        }
    }

    /// <summary>Answers 200 from now on.</summary>
    public void ClearPlan()
    {
        lock (_plan)
        {
            _plan.Clear();
        }
    }

    /// <summary>The next request, waiting up to <paramref name="timeout"/> (10 s by default).</summary>
    public async Task<Received> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _received.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no webhook arrived within {(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds} s");
        }
    }

    /// <summary>Whether a request arrived within <paramref name="wait"/>.</summary>
    public async Task<bool> AnyWithinAsync(TimeSpan wait)
    {
        using var cancel = new CancellationTokenSource(wait);
        try
        {
            return await _received.Reader.WaitToReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One request: lower-case header names, the body's bytes, and the status it was answered.</summary>
    public sealed record Received(IReadOnlyDictionary<string, string> Headers, byte[] Body, int Status);
}
