using System.IO.Compression;
using System.Text;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BudgetCluster.TelemetryIngress.Tests.Hosting;

/// <summary>The body limits, and gzip decompressed as it arrives into one pooled buffer.</summary>
public sealed class RequestBodyTests
{
    private const long Limit = 8 * 1024 * 1024;

    [Fact]
    public async Task ReadAsync_PlainAndGzip_GiveTheSameBytes()
    {
        var json = Json(300_000);

        using var plain = await ReadOkAsync(Request(json, gzip: false));
        using var zipped = await ReadOkAsync(Request(json, gzip: true));
        using var chunked = await ReadOkAsync(Request(json, gzip: true, announceLength: false));

        Assert.True(plain.Span.SequenceEqual(json));
        Assert.True(zipped.Span.SequenceEqual(json));
        Assert.True(chunked.Span.SequenceEqual(json));
    }

    [Theory]
    [InlineData(false, true, 2_000, "the request body is 1000+ bytes; the limit is 999")]
    [InlineData(false, false, 2_000, "the request body exceeds the limit of 999 bytes")]
    [InlineData(true, false, 100_000, "the request body exceeds the limit of 999 bytes")]
    public async Task ReadAsync_WireOverItsLimit_Is413(bool gzip, bool announceLength, int size, string message)
    {
        var request = Request(Json(size), gzip, announceLength);
        var wire = request.ContentLength;

        var (body, problem) = await RequestBody.ReadAsync(request, 999, Limit, CancellationToken.None);

        Assert.Null(body);
        var expected = message.Replace("1000+", wire?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", StringComparison.Ordinal);
        Assert.Equal((413, expected), Describe(problem));
    }

    [Fact]
    public async Task ReadAsync_GzipThatDecompressesPastItsLimit_Is413_AndNotGzip_Is400()
    {
        var (big, tooBig) = await RequestBody.ReadAsync(Request(Json(2_000_000), gzip: true), Limit, 1_000_000, CancellationToken.None);
        var notGzip = Request(Json(1_000), gzip: false);
        notGzip.Headers.ContentEncoding = "gzip";
        var (bad, invalid) = await RequestBody.ReadAsync(notGzip, Limit, Limit, CancellationToken.None);

        Assert.Null(big);
        Assert.Equal((413, "the decompressed request body exceeds the limit of 1000000 bytes"), Describe(tooBig));
        Assert.Null(bad);
        Assert.Equal((400, "the request body is not valid gzip data although Content-Encoding is gzip"), Describe(invalid));
    }

    [Fact]
    public async Task ReadAsync_AGzipBodyOfMegabytes_AllocatesAFewKilobytes_WhenItsBufferIsGivenBack()
    {
        var json = Json(4_000_000);
        using (await ReadOkAsync(Request(json, gzip: true)))
        {
            // The first read fills the pool with buffers of this size.
        }

        var request = Request(json, gzip: true);
        // The request's stream is in memory, so the read completes on this thread: its allocations are counted here.
        var before = GC.GetAllocatedBytesForCurrentThread();
        using (var body = await ReadOkAsync(request))
        {
            Assert.Equal(json.Length, body.Length);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256 * 1024, $"reading a {json.Length:N0}-byte body allocated {allocated:N0} bytes");
    }

    private static async Task<PooledBytes> ReadOkAsync(HttpRequest request)
    {
        var (body, problem) = await RequestBody.ReadAsync(request, Limit, Limit, CancellationToken.None);
        Assert.Null(problem);
        return body!;
    }

    private static (int Status, string? Detail) Describe(IResult? result)
    {
        var problem = Assert.IsType<ProblemHttpResult>(result);
        return (problem.StatusCode, problem.ProblemDetails.Detail);
    }

    /// <summary>A telemetry-like JSON body of about <paramref name="size"/> bytes, compressible as real batches are.</summary>
    private static byte[] Json(int size)
    {
        var text = new StringBuilder("{\"events\":[");
        for (var i = 0; text.Length < size - 200; i++)
        {
            text.Append(i == 0 ? "" : ",").Append("{\"request_id\":\"r-").Append(i).Append("\",\"model_id\":\"m-gpt-4o\",\"prompt_tokens\":").Append(i % 977).Append('}');
        }

        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    private static HttpRequest Request(byte[] json, bool gzip, bool announceLength = true)
    {
        var body = json;
        if (gzip)
        {
            using var compressed = new MemoryStream();
            using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(json);
            }

            body = compressed.ToArray();
        }

        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = announceLength ? body.Length : null;
        if (gzip)
        {
            context.Request.Headers.ContentEncoding = "gzip";
        }

        return context.Request;
    }
}
