using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace BudgetCluster.TelemetryIngress.Hosting;

/// <summary>
/// Reads a request body into memory within limits: a maximum as sent, and, for
/// <c>Content-Encoding: gzip</c>, a maximum once decompressed. A gzip body is decompressed as it
/// arrives (the compressed bytes are never held whole), and either body is read into one buffer
/// rented from the shared array pool, answered as it is (not copied into an array of the exact
/// size) and given back when the caller disposes it: a busy data plane allocates no body arrays.
/// </summary>
public static class RequestBody
{
    private const int ReadChunk = 16 * 1024;

    /// <summary>Compressed JSON is rarely more than this many times smaller: the decoded buffer's first size.</summary>
    private const int GzipRatioGuess = 8;

    public static async Task<(PooledBytes? Body, IResult? Problem)> ReadAsync(
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

        var wireTooLarge = TooLarge($"the request body exceeds the limit of {maxWireBytes} bytes");
        if (!gzip)
        {
            var wire = await ReadLimitedAsync(request.Body, maxWireBytes, request.ContentLength, cancellationToken);
            return wire is { } body ? (body, null) : (default, wireTooLarge);
        }

        var counted = new CountingStream(request.Body, maxWireBytes);
        try
        {
            await using var unzip = new GZipStream(counted, CompressionMode.Decompress, leaveOpen: true);
            var firstSize = request.ContentLength * GzipRatioGuess;
            var decoded = await ReadLimitedAsync(unzip, maxDecodedBytes, firstSize, cancellationToken);
            if (counted.Exceeded)
            {
                decoded?.Dispose();
                return (null, wireTooLarge);
            }

            return decoded is { } body
                ? (body, null)
                : (default, TooLarge($"the decompressed request body exceeds the limit of {maxDecodedBytes} bytes"));
        }
        catch (InvalidDataException) when (counted.Exceeded)
        {
            return (null, wireTooLarge);
        }
        catch (InvalidDataException)
        {
            return (null, Problems.BadRequest("the request body is not valid gzip data although Content-Encoding is gzip"));
        }
    }

    /// <returns>The bytes, or null when there are more than <paramref name="limit"/>.</returns>
    private static async Task<PooledBytes?> ReadLimitedAsync(Stream source, long limit, long? sizeHint, CancellationToken cancellationToken)
    {
        // One buffer grows as the body arrives; it starts at the size the body announces (no growth
        // at all for a plain body with Content-Length), and one byte more shows whether the limit is passed.
        var ceiling = Math.Min(limit + 1, Array.MaxLength);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(sizeHint ?? ReadChunk, 1) + 1, ceiling));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, ceiling));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length - length, ceiling - length)), cancellationToken);
                if (read == 0)
                {
                    if (length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    return new PooledBytes(buffer, length);
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static IResult TooLarge(string detail) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Request body too large", detail);

    /// <summary>The compressed body as it arrives, ending (and saying so) once it passes its limit.</summary>
    private sealed class CountingStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public bool Exceeded => _read > limit;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (Exceeded)
            {
                return 0;
            }

            var read = await inner.ReadAsync(destination, cancellationToken);
            _read += read;
            return Exceeded ? 0 : read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("the request body is read asynchronously");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
