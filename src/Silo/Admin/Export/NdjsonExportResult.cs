using System.Buffers;
using System.Text.Json;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Silo.Admin.Export;

/// <summary>
/// An export page as NDJSON (<c>application/x-ndjson</c>): one event a line, then the line
/// <c>{"next_cursor": ..., "has_more": ...}</c>. Written event by event to the response, flushed
/// every <see cref="FlushEvery"/> lines, so a page of 10,000 events is never held as one text.
/// A client that does not see the last line knows the page was cut off.
/// </summary>
public sealed class NdjsonExportResult(ExportPage page) : IResult
{
    public const string MediaType = "application/x-ndjson";

    private const int FlushEvery = 256;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType + "; charset=utf-8";
        var body = response.BodyWriter;
        var cancellation = httpContext.RequestAborted;
        using var json = new Utf8JsonWriter(body);
        for (var i = 0; i < page.Events.Count; i++)
        {
            JsonSerializer.Serialize(json, ExportEventView.From(page.Events[i]), AdminJsonContext.Default.ExportEventView);
            EndLine(json, body);
            if ((i + 1) % FlushEvery == 0)
            {
                await body.FlushAsync(cancellation);
            }
        }

        JsonSerializer.Serialize(json, new ExportCursorView(page.Next.Encode(), page.HasMore), AdminJsonContext.Default.ExportCursorView);
        EndLine(json, body);
        await body.FlushAsync(cancellation);
    }

    /// <summary>Ends a line; the writer then starts a new top-level value.</summary>
    private static void EndLine(Utf8JsonWriter json, IBufferWriter<byte> body)
    {
        json.Flush();
        json.Reset();
        body.Write("\n"u8);
    }

    /// <summary>True when the request's <c>Accept</c> asks for NDJSON (with a quality above 0).</summary>
    public static bool IsAccepted(HttpRequest request) => QueryParameters.Accepts(request, MediaType);
}
