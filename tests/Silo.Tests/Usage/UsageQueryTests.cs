using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Usage;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetCluster.Silo.Tests.Usage;

/// <summary>The usage view's query parameters, checked without a silo.</summary>
public sealed class UsageQueryTests
{
    private static readonly DateTimeOffset Today = BucketCalendar.Containing(TestClock.Now, BucketWidth.Day, TimeZoneInfo.Utc).Start;

    [Fact]
    public void Parse_OnlyStartingAt_IsDailyInUtcUntilTheEndOfToday()
    {
        var query = Parse($"starting_at={At(Today.AddDays(-3))}");

        Assert.Equal(BucketWidth.Day, query.Width);
        Assert.Equal("UTC", query.TimeZoneId);
        Assert.Equal(Today.AddDays(1), query.EndingAt);
        Assert.Equal(5, query.Boundaries.Count);
        Assert.Empty(query.GroupBy);
        Assert.Equal(1000, query.Limit);
        Assert.Equal(UsagePosition.Start, query.Position);
    }

    [Fact]
    public void Parse_GroupByRepeatedAndCommaSeparated_KeepsTheOrderGivenOnce()
    {
        var query = Parse($"starting_at={At(Today)}&group_by=model,api_key&group_by=status_class&group_by=model");

        Assert.Equal([UsageDimension.Model, UsageDimension.ApiKey, UsageDimension.StatusClass], query.GroupBy.AsEnumerable());
    }

    [Fact]
    public void Parse_Filters_AreRepeatableAndTakenWhole()
    {
        var query = Parse($"starting_at={At(Today)}&api_key_id=k,1&api_key_id=k-2&model_id=&environment_id=e-1,e-2");

        Assert.Equal(["k,1", "k-2"], query.Filters[UsageDimension.ApiKey].AsEnumerable());
        Assert.Equal([""], query.Filters[UsageDimension.Model].AsEnumerable());
        Assert.Equal(["e-1", "e-2"], query.EnvironmentIds.AsEnumerable());
    }

    [Fact]
    public void Parse_HoursInKathmandu_TakeQuarterPastBoundaries()
    {
        var start = BucketCalendar.Containing(TestClock.Now, BucketWidth.Hour, TimeZoneInfo.FindSystemTimeZoneById("Asia/Kathmandu")).Start;

        var query = Parse($"starting_at={At(start)}&ending_at={At(start.AddHours(3))}&bucket_width=1h&time_zone=Asia/Kathmandu");

        Assert.Equal(4, query.Boundaries.Count);
    }

    public static TheoryData<string, string> BadQueries()
    {
        var today = At(Today);
        var tomorrow = At(Today.AddDays(1));
        return new TheoryData<string, string>
        {
            { "", "'starting_at'" },
            { "starting_at=yesterday", "'starting_at' must be an RFC 3339" },
            { "starting_at=2026-11-01T00:00:00", "'starting_at' must be an RFC 3339" },
            { "starting_at=2026-11-01T00:00:00+01:00", "(got '2026-11-01T00:00:00 01:00'); a '+' in a URL must be written %2B" },
            { $"starting_at={today}&starting_at={today}", "'starting_at' must be given at most once" },
            { "starting_at=1900-01-01T00:00:00Z", "'starting_at' must be from 1972" },
            { $"starting_at={At(Today.AddHours(5))}", $"'starting_at' {At(Today.AddHours(5))} is not on a 1d bucket boundary in UTC: the nearest boundaries are {today} and {tomorrow}" },
            { $"starting_at={today}&time_zone=Europe/Berlin", "'starting_at'" },
            { $"starting_at={today}&ending_at={At(Today.AddMinutes(90))}&bucket_width=1h", "'ending_at'" },
            { $"starting_at={today}&ending_at=soon", "'ending_at' must be an RFC 3339" },
            { $"starting_at={tomorrow}&ending_at={today}", "'ending_at' must be after 'starting_at'" },
            { $"starting_at={today}&ending_at={today}", "'ending_at' must be after 'starting_at'" },
            { $"starting_at={At(Today.AddDays(5))}", "'ending_at' (by default the end of the current bucket" },
            { $"starting_at={today}&bucket_width=2d", "'bucket_width' must be one of 1m, 1h, 1d, 1w, 1mo (got '2d')" },
            { $"starting_at={today}&time_zone=Mars/Olympus", "'time_zone' must be an IANA time zone" },
            { $"starting_at={today}&time_zone=Pacific Standard Time", "'time_zone'" },
            { $"starting_at={At(Today.AddDays(-2))}&bucket_width=1m", "at most 1500 buckets" },
            { $"starting_at={today}&group_by=model,colour", "'group_by' has unknown dimension 'colour'" },
            { $"starting_at={today}&environment_id=bad/id", "'environment_id'" },
            { $"starting_at={today}&api_key_id={new string('k', 257)}", "'api_key_id' must be at most 256 characters" },
            { $"starting_at={today}&limit=0", "'limit' must be an integer from 1 to 10000" },
            { $"starting_at={today}&limit=10001", "'limit'" },
            { $"starting_at={today}&page=garbage!", "'page' is not a page of this usage view" },
            { $"starting_at={today}&groupby=model", "unknown query parameter 'groupby'" },
        };
    }

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Parse_BadParameter_Is400NamingIt(string queryText, string expected)
    {
        var (query, problem) = UsageQuery.Parse("acme", Query(queryText), TestClock.Now);

        Assert.Null(query);
        var (status, detail) = await RenderAsync(problem!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PageOfTheSameQuery_GoesOnFromItsPosition()
    {
        var text = $"starting_at={At(Today.AddDays(-3))}&group_by=model,api_key";
        var first = Parse(text);
        var position = new UsagePosition(2, new GroupKey(["m-1", ""]));
        var token = new UsagePageToken(first.Fingerprint, first.EndingAt, position).Encode();

        var next = Parse($"{text}&limit=5&page={token}");

        Assert.Equal(position.Bucket, next.Position.Bucket);
        Assert.Equal(position.After, next.Position.After);
        Assert.Equal(5, next.Limit);
    }

    [Fact]
    public void Parse_PageWithoutEndingAt_KeepsTheFirstPagesEnd()
    {
        var text = $"starting_at={At(Today.AddDays(-3))}";
        var first = Parse(text);
        var token = new UsagePageToken(first.Fingerprint, first.EndingAt, new UsagePosition(1, null)).Encode();

        // A day later the default end would be a day further; the page keeps the first page's.
        var next = UsageQuery.Parse("acme", Query($"{text}&page={token}"), TestClock.Now.AddDays(1)).Query!;

        Assert.Equal(first.EndingAt, next.EndingAt);
    }

    [Theory]
    [InlineData("&group_by=model")]
    [InlineData("&bucket_width=1h")]
    [InlineData("&model_id=m-2")]
    [InlineData("&time_zone=UTC&environment_id=e-9")]
    public async Task Parse_PageOfAnotherQuery_Is400NamingPage(string change)
    {
        var text = $"starting_at={At(Today.AddDays(-3))}&group_by=model,api_key";
        var first = Parse(text);
        var token = new UsagePageToken(first.Fingerprint, first.EndingAt, new UsagePosition(1, new GroupKey(["m", "k"]))).Encode();
        var other = text.Replace("&group_by=model,api_key", "", StringComparison.Ordinal) + change;

        var (query, problem) = UsageQuery.Parse("acme", Query($"{other}&page={token}"), TestClock.Now);

        Assert.Null(query);
        var (status, detail) = await RenderAsync(problem!);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'page' belongs to another query", detail, StringComparison.Ordinal);
        Assert.Null(UsageQuery.Parse("other-org", Query($"{text}&page={token}"), TestClock.Now).Query);
    }

    [Fact]
    public void PageToken_RoundTripsAnyGroupValue()
    {
        var token = new UsagePageToken("abc", Today, new UsagePosition(7, new GroupKey(["", "a.b,c\"d", "日本", "=x"])));

        var decoded = UsagePageToken.TryDecode(token.Encode())!;

        Assert.Equal(token.Fingerprint, decoded.Fingerprint);
        Assert.Equal(token.EndingAt, decoded.EndingAt);
        Assert.Equal(token.Position.Bucket, decoded.Position.Bucket);
        Assert.Equal(token.Position.After, decoded.Position.After);
    }

    private static UsageQuery Parse(string text)
    {
        var (query, problem) = UsageQuery.Parse("acme", Query(text), TestClock.Now);
        Assert.Null(problem);
        return query!;
    }

    private static QueryCollection Query(string text) => new(QueryHelpers.ParseQuery("?" + text));

    private static string At(DateTimeOffset instant) => WireFormat.Instant(instant);

    private static async Task<(HttpStatusCode Status, string Detail)> RenderAsync(IResult result)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddSingleton(NullLoggerFactory.Instance).AddProblemDetails().BuildServiceProvider(),
        };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return ((HttpStatusCode)context.Response.StatusCode, (string)JsonNode.Parse(body.ToArray())!["detail"]!);
    }
}
