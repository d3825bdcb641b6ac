using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Reads a request body into memory within limits: a maximum as sent, and,
/// for <c>Content-Encoding: gzip</c>, a maximum once decompressed.
/// </summary>
public static class RequestBody
{
    public static async Task<(byte[]? Body, IResult? Problem)> ReadAsync(
        HttpRequest request, long maxWireBytes, long maxDecodedBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxWireBytes)
        {
            return (null, TooLarge($"the request body is {request.ContentLength} bytes; the limit is {maxWireBytes}"));
        }

        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (encoding.Length > 0 && !gzip && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content encoding",
                $"Content-Encoding '{encoding}' is not supported; send the body as is or with gzip"));
        }

        // The limits below are enforced while reading; Kestrel's own limit would answer without a body.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var wire = await ReadLimitedAsync(request.Body, maxWireBytes, cancellationToken);
        if (wire is null)
        {
            return (null, TooLarge($"the request body exceeds the limit of {maxWireBytes} bytes"));
        }

        if (!gzip)
        {
            return (wire, null);
        }

        try
        {
            await using var unzip = new GZipStream(new MemoryStream(wire), CompressionMode.Decompress);
            var decoded = await ReadLimitedAsync(unzip, maxDecodedBytes, cancellationToken);
            return decoded is null
                ? (null, TooLarge($"the decompressed request body exceeds the limit of {maxDecodedBytes} bytes"))
                : (decoded, null);
        }
        catch (InvalidDataException)
        {
            return (null, Problems.BadRequest("the request body is not valid gzip data although Content-Encoding is gzip"));
        }
    }

    /// <returns>The bytes, or null when there are more than <paramref name="limit"/>.</returns>
    private static async Task<byte[]?> ReadLimitedAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static IResult TooLarge(string detail) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Request body too large", detail);
}
