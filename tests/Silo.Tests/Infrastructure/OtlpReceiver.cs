using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Silo.Tests.Infrastructure;

/// <summary>
/// An OpenTelemetry collector's OTLP/HTTP endpoint, as far as a test needs one: Kestrel on loopback
/// that keeps the protobuf body of every export (traces at <c>/v1/traces</c>, metrics at
/// <c>/v1/metrics</c>) and answers 200.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(string Path, byte[] Body)> _exports = [];

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            lock (receiver._exports)
            {
                receiver._exports.Add(("/v1/" + signal, body.ToArray()));
            }

            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Url = app.Urls.Single();
        return receiver;
    }

    /// <summary>The bodies exported to <paramref name="path"/> so far.</summary>
    public IReadOnlyList<byte[]> Exports(string path)
    {
        lock (_exports)
        {
            return [.. _exports.Where(export => export.Path == path).Select(export => export.Body)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
