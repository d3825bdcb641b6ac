using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>
/// <c>GET/DELETE /environments/{env}/gateway-certificates[/{serial}]</c> (API.md §4 v2): a revoked
/// certificate is refused within a second, the connections and streams made with it are closed,
/// and every other gateway goes on.
/// </summary>
public sealed class CertificateRevocationTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Revoke_RefusesTheCertificate_ClosesItsStream_AndTheOtherGatewayGoesOn()
    {
        using var world = await silo.OnboardAsync();
        using var other = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-1");
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        await using var stream = await SseClient.ConnectAsync(world.Gateway);
        Assert.Equal("snapshot", (await stream.NextAsync()).Name);
        var serial = await SerialOfAsync(world, "dp-east-1");

        using (var revoke = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, CertificatesPath(world) + "/" + serial)))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        // The stream made with it is closed, and the certificate refused from then on.
        Assert.True(await stream.EndsWithinAsync(TimeSpan.FromSeconds(10)), "the revoked certificate's budget_events stream stayed open");
        var detail = await RefusalAsync(world.Gateway, world.Fixture("chat-openai.json"));
        Assert.StartsWith($"the client certificate (serial {serial}) was revoked at ", detail, StringComparison.Ordinal);

        // The other gateway's certificate still works, and the first batch still counts.
        var answer = await other.PostTelemetryOkAsync(world.Fixture("legacy-v06-latency-names.json"));
        Assert.Equal(1, (int)answer["accepted"]!);
        Assert.Equal(1, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);

        var listed = (await world.Admin.GetOkAsync(CertificatesPath(world))).AsArray();
        Assert.Equal(2, listed.Count);
        var revoked = listed.Single(c => (string)c!["serial"]! == serial)!;
        Assert.Equal("dp-east-1", (string)revoked["dp_id"]!);
        Assert.NotNull((string?)revoked["revoked_at"]);
        Assert.Null((string?)listed.Single(c => (string)c!["dp_id"]! == "dp-west-1")!["revoked_at"]);

        // Revoking again changes nothing: same time.
        using (var again = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, CertificatesPath(world) + "/" + serial.ToUpperInvariant())))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        var relisted = (await world.Admin.GetOkAsync(CertificatesPath(world))).AsArray();
        Assert.Equal((string)revoked["revoked_at"]!, (string)relisted.Single(c => (string)c!["serial"]! == serial)!["revoked_at"]!);
    }

    [Fact]
    public async Task Issue_AnswersTheSerialThatTheListShows()
    {
        using var world = await silo.OnboardAsync();

        var issued = await world.Admin.PostOkAsync(CertificatesPath(world), """{"dp_id":"dp-north-1"}""");

        var listed = (await world.Admin.GetOkAsync(CertificatesPath(world))).AsArray().Single(c => (string)c!["dp_id"]! == "dp-north-1")!;
        Assert.Equal((string)issued["serial"]!, (string)listed["serial"]!);
        Assert.Equal((string)issued["expires_at"]!, (string)listed["expires_at"]!);
        Assert.Matches("^[0-9a-f]+$", (string)issued["serial"]!);
    }

    [Theory]
    [InlineData("not-hex", HttpStatusCode.BadRequest, "'serial' must be a certificate serial number in hex (1-40 digits), as GET .../gateway-certificates lists it")]
    [InlineData("0123456789abcdef", HttpStatusCode.NotFound, "no certificate with serial '0123456789abcdef' was issued in environment '{env}'")]
    public async Task Revoke_BadOrUnknownSerial_IsRefused_AndNothingIsRevoked(string serial, HttpStatusCode status, string expected)
    {
        using var world = await silo.OnboardAsync();

        using var response = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, CertificatesPath(world) + "/" + serial));

        Assert.Equal(expected.Replace("{env}", world.EnvironmentId, StringComparison.Ordinal), await Http.ReadProblemAsync(response, status));
        Assert.All((await world.Admin.GetOkAsync(CertificatesPath(world))).AsArray(), c => Assert.Null((string?)c!["revoked_at"]));
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
    }

    [Fact]
    public async Task Certificates_OfAnUnknownEnvironment_Are404()
    {
        using var admin = silo.Admin();

        using var list = await admin.GetAsync("/api/v1/environments/env-nowhere/gateway-certificates");
        using var revoke = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/environments/env-nowhere/gateway-certificates/0a"));

        Assert.Contains("env-nowhere", await Http.ReadProblemAsync(list, HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Contains("env-nowhere", await Http.ReadProblemAsync(revoke, HttpStatusCode.NotFound), StringComparison.Ordinal);
    }

    private static string CertificatesPath(TestWorld world) => $"/api/v1/environments/{world.EnvironmentId}/gateway-certificates";

    private static async Task<string> SerialOfAsync(TestWorld world, string dpId) =>
        (string)(await world.Admin.GetOkAsync(CertificatesPath(world))).AsArray().Single(c => (string)c!["dp_id"]! == dpId)!["serial"]!;

    /// <summary>The 401's detail once the refusal has reached the data plane (pushed with the catalog; waited for up to 10 s on a loaded machine).</summary>
    private static async Task<string> RefusalAsync(GatewayClient gateway, string batch)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await gateway.PostTelemetryAsync(batch);
            if (response.StatusCode == HttpStatusCode.Unauthorized || DateTime.UtcNow > deadline)
            {
                return await Http.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
            }

            await Task.Delay(50);
        }
    }
}
