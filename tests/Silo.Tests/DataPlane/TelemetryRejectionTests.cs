using BudgetCluster.TestSupport;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Budgets;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>Every kind of bad telemetry gets a precise answer, and valid data around it survives.</summary>
public sealed class TelemetryRejectionTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Theory]
    [InlineData("{\"events\": [", "the body must be a JSON object {\"events\": [...]}: malformed JSON")]
    [InlineData("not json at all", "the body must be a JSON object {\"events\": [...]}: malformed JSON")]
    [InlineData("[]", "the body must be a JSON object {\"events\": [...]}: expected a JSON object")]
    [InlineData("{\"events\": 5}", "the body must be a JSON object {\"events\": [...]}: 'events' must be an array of event objects")]
    [InlineData("{}", "the body must be a JSON object with an 'events' array")]
    [InlineData("null", "the body must be a JSON object with an 'events' array")]
    [InlineData("", "the body must be a JSON object {\"events\": [...]}: malformed JSON")]
    public async Task PostTelemetry_BodyNotTheEnvelope_Is400AndCountsNothing(string body, string expectedStart)
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));

        using var response = await world.Gateway.PostTelemetryAsync(body);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(detail.StartsWith(expectedStart, StringComparison.Ordinal), detail);
        var telemetry = (await world.GatewayDetailAsync())["telemetry"]!;
        Assert.Equal(1, (long)telemetry["events_accepted"]!);
    }

    [Fact]
    public async Task PostTelemetry_MixedBatch_AcceptsTheValidEventsAndNamesEachRejectedIndex()
    {
        using var world = await silo.OnboardAsync();
        var good1 = Event("good-1", promptTokens: 1000, modelId: $"m-gpt-4o-{world.Suffix}");
        var good2 = Event("good-2", promptTokens: 2000, modelId: $"m-gpt-4o-{world.Suffix}");
        var body = new JsonObject
        {
            ["events"] = new JsonArray(
                good1,
                With(Event("bad-type"), "prompt_tokens", "lots"),
                Without(Event("bad-missing"), "api_key_id"),
                With(Event("x"), "request_id", new string('r', 257)),
                With(Event("x"), "request_id", "has space"),
                With(Event("bad-negative"), "completion_tokens", -3),
                With(Event("bad-overflow"), "prompt_tokens", JsonNode.Parse("99999999999999999999")),
                With(Event("bad-future"), "occurred_at", TestClock.Now.AddMinutes(10).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)),
                good2,
                JsonValue.Create("not an object")),
        };

        var answer = await world.Gateway.PostTelemetryOkAsync(body.ToJsonString());

        Assert.Equal(2, (int)answer["accepted"]!);
        var rejected = answer["rejected"]!.AsArray().Select(r => ((int)r!["index"]!, (string)r["error"]!)).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 9], rejected.Select(r => r.Item1));
        Assert.Equal("'prompt_tokens' must be an integer from 0 to 2147483647", rejected[0].Item2);
        Assert.Equal("missing required field 'api_key_id'", rejected[1].Item2);
        Assert.StartsWith("'request_id' must be 1-256 visible ASCII characters", rejected[2].Item2, StringComparison.Ordinal);
        Assert.StartsWith("'request_id' must be 1-256 visible ASCII characters", rejected[3].Item2, StringComparison.Ordinal);
        Assert.Equal("'completion_tokens' must be an integer from 0 to 2147483647", rejected[4].Item2);
        Assert.Equal("'prompt_tokens' must be an integer from 0 to 2147483647", rejected[5].Item2);
        Assert.Contains("is more than 5 minutes in the future", rejected[6].Item2, StringComparison.Ordinal);
        Assert.Equal("event must be a JSON object, not a string", rejected[7].Item2);

        var detail = await world.GatewayDetailAsync();
        Assert.Equal(2, (long)detail["telemetry"]!["events_accepted"]!);
        Assert.Equal(8, (long)detail["telemetry"]!["events_rejected"]!);
        // (1000 + 2000)·2.50 + (20 + 20)·10 = 7900 µ$
        Assert.Equal("0.0079", (string)detail["usage"]!["spend_usd"]!);
    }

    [Fact]
    public async Task PostTelemetry_GoZeroTimeNextToAValidEventInATokyoBudget_RejectsOnlyItAndCountsTheOther()
    {
        using var world = await silo.OnboardAsync();
        var budget = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "100", timezone: "Asia/Tokyo"));
        await TestClock.AwayFromPeriodBoundaryAsync();
        var body = new JsonObject
        {
            ["events"] = new JsonArray(
                UsageEvents.Event("valid", TestClock.Now, cost: "0.25"),
                With(UsageEvents.Event("zero-time", TestClock.Now, cost: "0.25"), "occurred_at", "0001-01-01T00:00:00Z")),
        };

        var answer = await world.Gateway.PostTelemetryOkAsync(body.ToJsonString());

        Assert.Equal(1, (int)answer["accepted"]!);
        var rejected = Assert.Single(answer["rejected"]!.AsArray());
        Assert.Equal(1, (int)rejected!["index"]!);
        Assert.Equal("'occurred_at' 0001-01-01T00:00:00Z is more than 35 days old (DataPlane:MaxEventAge)", (string)rejected["error"]!);
        var detail = await world.GatewayDetailAsync();
        Assert.Equal(1, (long)detail["telemetry"]!["events_accepted"]!);
        Assert.Equal(1, (long)detail["telemetry"]!["events_rejected"]!);
        Assert.Equal("0.25", (string)detail["usage"]!["spend_usd"]!);
        Assert.Equal("0.25", (string)(await BudgetSpendTests.StatusAsync(world, budget))["spent_usd"]!);
    }

    [Fact]
    public async Task PostTelemetry_SameEventAgain_IsADuplicateAndChangesNothing()
    {
        using var world = await silo.OnboardAsync();
        var fixture = world.Fixture("stream-fallback-anthropic.json");
        await world.Gateway.PostTelemetryOkAsync(fixture);
        var before = (await world.GatewayDetailAsync())["usage"]!.ToJsonString();

        var again = await world.Gateway.PostTelemetryOkAsync(fixture);

        Assert.Equal(0, (int)again["accepted"]!);
        Assert.Equal(2, (int)again["duplicates"]!);
        var detail = await world.GatewayDetailAsync();
        Assert.Equal(before, detail["usage"]!.ToJsonString());
        Assert.Equal(2, (long)detail["telemetry"]!["events_duplicate"]!);
    }

    [Fact]
    public async Task PostTelemetry_DuplicateInsideOneBatch_IsCountedOnce()
    {
        using var world = await silo.OnboardAsync();
        var body = new JsonObject { ["events"] = new JsonArray(Event("same"), Event("same"), Event("same", attemptIndex: 1)) };

        var answer = await world.Gateway.PostTelemetryOkAsync(body.ToJsonString());

        Assert.Equal(2, (int)answer["accepted"]!);
        Assert.Equal(1, (int)answer["duplicates"]!);
    }

    [Fact]
    public async Task PostTelemetry_BodyOverTheLimit_Is413AndCountsNothing()
    {
        using var world = await silo.OnboardAsync();
        var padding = new string(' ', 1024 * 1024);
        var body = "{\"events\": [" + Event("big").ToJsonString() + "]" + padding + "}";

        using var response = await world.Gateway.PostTelemetryAsync(body);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("the limit is 1048576", detail, StringComparison.Ordinal);
        Assert.Equal(0, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
    }

    [Fact]
    public async Task PostTelemetry_ChunkedBodyOverTheLimit_Is413()
    {
        using var world = await silo.OnboardAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"events\": []" + new string(' ', (1024 * 1024) + 10) + "}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dp/telemetry")
        {
            Content = new StreamContent(new NonSeekableStream(bytes)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await world.Gateway.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("the request body exceeds the limit of 1048576 bytes", detail);
    }

    [Fact]
    public async Task PostTelemetry_TooManyEvents_Is413()
    {
        using var world = await silo.OnboardAsync();
        var events = new JsonArray();
        for (var i = 0; i < 1001; i++)
        {
            events.Add(JsonValue.Create(0));
        }

        using var response = await world.Gateway.PostTelemetryAsync(new JsonObject { ["events"] = events }.ToJsonString());

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("the batch has more than 1000 events (DataPlane:MaxEventsPerBatch)", detail);
    }

    [Fact]
    public async Task PostTelemetry_TinyGzipOfMillionsOfEvents_Is413()
    {
        using var world = await silo.OnboardAsync();
        var json = new StringBuilder("{\"events\":[0");
        json.Insert(json.Length, ",0", 3_000_000);
        json.Append("]}");
        using var request = Gzipped(json.ToString());

        using var response = await world.Gateway.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("the batch has more than 1000 events (DataPlane:MaxEventsPerBatch)", detail);
    }

    [Fact]
    public async Task PostTelemetry_GzipBody_IsAccepted()
    {
        using var world = await silo.OnboardAsync();
        using var request = Gzipped(world.Fixture("chat-openai.json"));

        using var response = await world.Gateway.SendAsync(request);

        var answer = await Http.ReadOkAsync(response);
        Assert.Equal(1, (int)answer["accepted"]!);
        Assert.Equal("0.0048075", (string)(await world.GatewayDetailAsync())["usage"]!["spend_usd"]!);
    }

    [Fact]
    public async Task PostTelemetry_GzipBombOverTheDecompressedLimit_Is413()
    {
        using var world = await silo.OnboardAsync();
        using var request = Gzipped("{\"events\": []" + new string(' ', 17 * 1024 * 1024) + "}");

        using var response = await world.Gateway.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("the decompressed request body exceeds the limit of 16777216 bytes", detail);
    }

    [Fact]
    public async Task PostTelemetry_GzipHeaderWithPlainBody_Is400()
    {
        using var world = await silo.OnboardAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dp/telemetry")
        {
            Content = new StringContent("{\"events\": []}", Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentEncoding.Add("gzip");

        using var response = await world.Gateway.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("the request body is not valid gzip data although Content-Encoding is gzip", detail);
    }

    [Fact]
    public async Task PostTelemetry_UnsupportedContentEncoding_Is415()
    {
        using var world = await silo.OnboardAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/dp/telemetry")
        {
            Content = new StringContent("{\"events\": []}", Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentEncoding.Add("br");

        using var response = await world.Gateway.SendAsync(request);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("Content-Encoding 'br' is not supported; send the body as is or with gzip", detail);
    }

    [Fact]
    public async Task PostTelemetry_EmptyEventList_IsAnEmptySuccess()
    {
        using var world = await silo.OnboardAsync();

        var answer = await world.Gateway.PostTelemetryOkAsync("{\"events\": []}");

        Assert.Equal(0, (int)answer["accepted"]!);
        Assert.Equal(0, (int)answer["duplicates"]!);
    }

    private static HttpRequestMessage Gzipped(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/dp/telemetry") { Content = new ByteArrayContent(buffer.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        return request;
    }

    internal static JsonObject Event(string requestId, long promptTokens = 100, int attemptIndex = 0, string modelId = "") =>
        UsageEvents.Event(requestId, modelId: modelId, promptTokens: promptTokens, attemptIndex: attemptIndex);

    internal static JsonObject With(JsonObject e, string field, JsonNode? value)
    {
        e[field] = value;
        return e;
    }

    internal static JsonObject Without(JsonObject e, string field)
    {
        e.Remove(field);
        return e;
    }

    /// <summary>Forces a chunked upload: no Content-Length for the server to check up front.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
