using BudgetCluster.TestSupport;
using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.DataPlane;

public sealed class HeartbeatTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Heartbeat_AisixBody_IsRecordedPerInstance()
    {
        using var world = await silo.OnboardAsync();
        var fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "heartbeat.json"));

        using var response = await world.Gateway.PostAsync("/dp/heartbeat", fixture);
        using var second = await world.Gateway.PostAsync("/dp/heartbeat", """{"instance_id":"i-2","hostname":"h2","version":"0.9.1"}""");

        Assert.Equal("""{"ok":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var instances = (await world.GatewayDetailAsync())["instances"]!.AsArray();
        Assert.Equal(2, instances.Count);
        var first = instances.Single(i => (string)i!["instance_id"]! == "0b6c1d3e-9f8a-4b7c-a6d5-e4f3a2b1c0d9")!;
        Assert.Equal("aisix-7d9f8-abcde", (string)first["hostname"]!);
        Assert.Equal("0.10.0+sha-e8d0e04", (string)first["version"]!);
        var seen = DateTimeOffset.Parse((string)first["last_heartbeat_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seen, TestClock.Now.AddMinutes(-1), TestClock.Now.AddMinutes(1));
    }

    [Fact]
    public async Task Heartbeat_Again_UpdatesTheSameInstance()
    {
        using var world = await silo.OnboardAsync();

        await world.Gateway.PostAsync("/dp/heartbeat", """{"instance_id":"i-1","version":"0.9.0"}""");
        await world.Gateway.PostAsync("/dp/heartbeat", """{"instance_id":"i-1","version":"0.10.0"}""");

        var instance = Assert.Single((await world.GatewayDetailAsync())["instances"]!.AsArray());
        Assert.Equal("0.10.0", (string)instance!["version"]!);
    }

    [Theory]
    [InlineData("""{"hostname":"h"}""", "missing required field 'instance_id'")]
    [InlineData("""{"instance_id":""}""", "missing required field 'instance_id'")]
    [InlineData("""{"instance_id":7}""", "'instance_id' must be a string")]
    [InlineData("""{"instance_id":"i","uptime_seconds":"long"}""", "'uptime_seconds' must be an integer")]
    [InlineData("""{"instance_id":"i",""", "malformed JSON")]
    [InlineData("""[1,2]""", "expected a JSON object")]
    [InlineData("null", "the body must be a JSON object")]
    public async Task Heartbeat_BadBody_Is400NamingTheProblem(string body, string expectedStart)
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostAsync("/dp/heartbeat", """{"instance_id":"kept"}""");

        using var response = await world.Gateway.PostAsync("/dp/heartbeat", body);

        var detail = await Http.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(detail.StartsWith(expectedStart, StringComparison.Ordinal), detail);
        var instance = Assert.Single((await world.GatewayDetailAsync())["instances"]!.AsArray());
        Assert.Equal("kept", (string)instance!["instance_id"]!);
    }

    [Fact]
    public async Task Heartbeat_ManyInstanceIds_KeepsTheMostRecentFew()
    {
        using var world = await silo.OnboardAsync();

        for (var i = 0; i < 260; i++)
        {
            using var response = await world.Gateway.PostAsync("/dp/heartbeat", $$"""{"instance_id":"i-{{i:D3}}"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var ids = (await world.GatewayDetailAsync())["instances"]!.AsArray().Select(i => (string)i!["instance_id"]!).ToList();
        Assert.Equal(256, ids.Count);
        Assert.Contains("i-259", ids);
        Assert.DoesNotContain("i-000", ids);
    }

    [Fact]
    public async Task Heartbeat_OversizedBody_Is413()
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Gateway.PostAsync("/dp/heartbeat", "{\"instance_id\":\"i\",\"pad\":\"" + new string('x', 70_000) + "\"}");

        await Http.ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }
}
