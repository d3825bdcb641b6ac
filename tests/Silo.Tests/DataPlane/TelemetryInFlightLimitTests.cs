using System.Net;
using System.Net.Security;
using System.Text;
using BudgetCluster.Silo.Tests.Infrastructure;
using BudgetCluster.TelemetryIngress.Security;
using BudgetCluster.TelemetryIngress.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace BudgetCluster.Silo.Tests.DataPlane;

/// <summary>A silo whose data plane lets each gateway have two telemetry requests in progress.</summary>
public sealed class TwoInFlightFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--DataPlane:MaxTelemetryInFlightPerGateway=2"];
}

public sealed class TelemetryInFlightLimitTests(TwoInFlightFixture silo) : IClassFixture<TwoInFlightFixture>
{
    [Fact]
    public async Task ThirdTelemetryRequestInProgress_Is429WithRetryAfter_WhileTheTwoAndAnotherGatewayGoOn()
    {
        using var world = await silo.OnboardAsync();
        using var other = await TestWorld.IssueGatewayAsync(silo, world.Admin, world.EnvironmentId, "dp-west-1");
        var inFlight = silo.App.Services.GetRequiredService<TelemetryInFlight>();
        var identity = new GatewayIdentity(world.EnvironmentId, "dp-east-1");
        var uploads = new List<SlowUpload>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                uploads.Add(await SlowUpload.StartAsync(silo, world.Gateway.Certificate!, UsageEvents.Body([UsageEvents.Event($"held-{i}")])));
            }

            // The uploads reach their handler in their own time; nothing else of this gateway competes meanwhile.
            for (var deadline = DateTime.UtcNow.AddSeconds(20); inFlight.InProgress(identity) < 2; await Task.Delay(20))
            {
                Assert.True(DateTime.UtcNow < deadline, $"{inFlight.InProgress(identity)} of the 2 uploads are in progress after 20 s");
            }

            var third = UsageEvents.Body([UsageEvents.Event("third")]);
            using var refused = await world.Gateway.PostTelemetryAsync(third);
            using var neighbour = await other.PostTelemetryAsync(UsageEvents.Body([UsageEvents.Event("neighbour")]));

            Assert.Equal(
                "gateway 'dp-east-1' already has 2 telemetry requests in progress on this data plane (DataPlane:MaxTelemetryInFlightPerGateway); send this batch again after Retry-After",
                await Http.ReadProblemAsync(refused, HttpStatusCode.TooManyRequests));
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.OK, neighbour.StatusCode);
            foreach (var upload in uploads)
            {
                var answer = await upload.FinishAsync();
                Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
                Assert.Contains("\"accepted\":1", answer, StringComparison.Ordinal);
            }

            // Their places are free again: the refused batch, sent again, is taken.
            var retried = await world.Gateway.PostTelemetryOkAsync(third);
            Assert.Equal(1, (int)retried["accepted"]!);
            Assert.Equal(3, (long)(await world.GatewayDetailAsync())["telemetry"]!["events_accepted"]!);
        }
        finally
        {
            foreach (var upload in uploads)
            {
                await upload.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A telemetry body uploaded slowly: the batch, then whitespace (JSON allows it) at 4 KB/s,
    /// fast enough for Kestrel's minimum body data rate, until the test lets it finish.
    /// </summary>
    private sealed class SlowUpload : IAsyncDisposable
    {
        private const int Padding = 256 * 1024;
        private const int Step = 1024;
        private readonly SslStream _connection;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _trickle;

        private SlowUpload(SslStream connection)
        {
            _connection = connection;
            _trickle = TrickleAsync();
        }

        public static async Task<SlowUpload> StartAsync(SiloFixture silo, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string batch)
        {
            var json = Encoding.UTF8.GetBytes(batch);
            var connection = await RawTls.ConnectAsync(silo, certificate);
            await RawTls.WriteHeadAsync(connection, "/dp/telemetry", json.Length + Padding);
            await connection.WriteAsync(json);
            await connection.FlushAsync();
            return new SlowUpload(connection);
        }

        /// <summary>Sends the rest of the body and returns the answer's first bytes.</summary>
        public async Task<string> FinishAsync()
        {
            await _stop.CancelAsync();
            var sent = await _trickle;
            await _connection.WriteAsync(Spaces(Padding - sent));
            return await RawTls.ReadAnswerAsync(_connection);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _trickle;
            await _connection.DisposeAsync();
            _stop.Dispose();
        }

        private async Task<int> TrickleAsync()
        {
            var sent = 0;
            try
            {
                while (sent + Step < Padding)
                {
                    await Task.Delay(250, _stop.Token);
                    // Never cancelled mid-write: a TLS record cut short would break the stream.
                    await _connection.WriteAsync(Spaces(Step));
                    sent += Step;
                }
            }
            catch (OperationCanceledException)
            {
            }

            return sent;
        }

        private static byte[] Spaces(int count) => Enumerable.Repeat((byte)' ', count).ToArray();
    }
}
