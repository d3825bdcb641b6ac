using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>At most <c>DataPlane:MaxStreamsPerGateway</c> (8) budget_events streams per gateway; one more is 429.</summary>
public sealed class BudgetEventStreamLimitTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task NinthStreamOfAGateway_Is429WithRetryAfter_WhileItsEightAndAnotherGatewaysStreamsFlow()
    {
        using var world = await silo.OnboardAsync();
        using var other = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-1");
        var streams = new List<SseClient>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var stream = await SseClient.ConnectAsync(world.Gateway);
                streams.Add(stream);
                Assert.Equal("snapshot", (await stream.NextAsync()).Name);
            }

            using var ninth = await world.Gateway.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dp/budget_events"), HttpCompletionOption.ResponseHeadersRead);
            var detail = await Http.ReadProblemAsync(ninth, HttpStatusCode.TooManyRequests);
            Assert.Equal(
                "gateway 'dp-east-1' already has 8 budget_events streams open on this data plane (DataPlane:MaxStreamsPerGateway); close one or retry later",
                detail);
            Assert.NotNull(ninth.Headers.RetryAfter);

            await using var othersStream = await SseClient.ConnectAsync(other);
            Assert.Equal("snapshot", (await othersStream.NextAsync()).Name);

            // A closed stream frees its place (the server notices the disconnect and lets it go).
            await streams[0].DisposeAsync();
            streams.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                var again = await SseClient.ConnectAsync(world.Gateway);
                if (again.Response.IsSuccessStatusCode)
                {
                    streams.Add(again);
                    Assert.Equal("snapshot", (await again.NextAsync()).Name);
                    break;
                }

                Assert.Equal(HttpStatusCode.TooManyRequests, again.Response.StatusCode);
                await again.DisposeAsync();
                Assert.True(DateTime.UtcNow < deadline, "the closed stream's place was never freed");
                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }
}
