using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BudgetCluster.Grains.Billing;

namespace BudgetCluster.Grains.Tests.Billing;

public sealed class StatementJsonTests
{
    private static readonly StatementPeriod November = new(2026, 11);

    [Fact]
    public void Write_Closed_HashIsOfTheBodyWithTheHashNull()
    {
        var (body, hash) = StatementJson.Write(Statement(closedAt: new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero)));

        var text = Encoding.UTF8.GetString(body);
        Assert.NotNull(hash);
        Assert.EndsWith($",\"content_sha256\":\"{hash}\"}}", text, StringComparison.Ordinal);
        var unhashed = Encoding.UTF8.GetBytes(text.Replace($"\"{hash}\"", "null", StringComparison.Ordinal));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(unhashed)), hash);
    }

    [Fact]
    public void Write_SameStatement_SameBytes()
    {
        var closedAt = new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(StatementJson.Write(Statement(closedAt)).Body, StatementJson.Write(Statement(closedAt)).Body);
    }

    [Fact]
    public void Write_Open_HasTheContractsFieldsAndNoHash()
    {
        var (body, hash) = StatementJson.Write(Statement(closedAt: null));
        var json = JsonNode.Parse(body)!.AsObject();

        Assert.Null(hash);
        Assert.Equal(
            ["org_id", "period", "time_zone", "starting_at", "ending_at", "status", "closed_at", "lines", "adjustments", "total_usd", "content_sha256"],
            json.Select(pair => pair.Key));
        Assert.Equal("open", (string)json["status"]!);
        Assert.Null(json["closed_at"]);
        Assert.Equal("2026-11-01T07:00:00Z", (string)json["starting_at"]!);
        var line = json["lines"]![0]!.AsObject();
        Assert.Equal(
            ["environment_id", "model_id", "provider_key_id", "requests", "attempts", "prompt_tokens", "completion_tokens",
             "cached_prompt_tokens", "cache_creation_tokens", "cache_read_tokens", "spend_usd", "cache_savings_usd"],
            line.Select(pair => pair.Key));
        Assert.Null(line["provider_key_id"]);
        Assert.Equal("0.2931", (string)line["spend_usd"]!);
        Assert.Equal(["period", "environment_id", "model_id", "attempts", "spend_usd"], json["adjustments"]![0]!.AsObject().Select(pair => pair.Key));
        Assert.Equal("0.2971", (string)json["total_usd"]!);
    }

    private static Statement Statement(DateTimeOffset? closedAt) => new(
        "acme",
        November,
        "America/Los_Angeles",
        November.Window(TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles")),
        closedAt,
        [new StatementLine("prod", "m-gpt-4o", "", 120, 131, 81234, 9120, 40000, 0, 0, 0.2931m, 0.0120m)],
        [new StatementAdjustment(new StatementPeriod(2026, 10), "prod", "m-gpt-4o", 2, 0.0040m)]);
}
