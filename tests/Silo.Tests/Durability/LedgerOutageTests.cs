using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Tests.Durability;

/// <summary>A silo whose embedded databases give up on a lock after one second.</summary>
public sealed class LedgerOutageFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Storage:SqliteBusyTimeout=00:00:01"];
}

/// <summary>When the ledger cannot commit, telemetry is answered 503 and nothing is counted; once it can, the same batch counts once.</summary>
public sealed class LedgerOutageTests(LedgerOutageFixture silo) : IClassFixture<LedgerOutageFixture>
{
    [Fact]
    public async Task PostTelemetry_LedgerLockedByAnotherWriter_Is503WithRetryAfterAndRecovers()
    {
        using var world = await silo.OnboardAsync();
        await world.Gateway.PostTelemetryOkAsync(world.Fixture("chat-openai.json"));
        var batch = world.Fixture("legacy-v06-latency-names.json");

        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(silo.DataDirectory, "ledger.db")};Pooling=False"))
        {
            await blocker.OpenAsync();
            await using (var lockIt = blocker.CreateCommand())
            {
                lockIt.CommandText = "BEGIN EXCLUSIVE;";
                await lockIt.ExecuteNonQueryAsync();
            }

            using var refused = await world.Gateway.PostTelemetryAsync(batch);
            using var refusedAgain = await world.Gateway.PostTelemetryAsync(batch);

            var detail = await Http.ReadProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("the usage ledger is unavailable; nothing of this batch was acknowledged, send it again", detail);
            Assert.Equal("2", refused.Headers.GetValues("Retry-After").Single());
            await Http.ReadProblemAsync(refusedAgain, HttpStatusCode.ServiceUnavailable);
            await using var unlock = blocker.CreateCommand();
            unlock.CommandText = "ROLLBACK;";
            await unlock.ExecuteNonQueryAsync();
        }

        var accepted = await world.Gateway.PostTelemetryOkAsync(batch);
        var replayed = await world.Gateway.PostTelemetryOkAsync(batch);

        Assert.Equal(1, (int)accepted["accepted"]!);
        Assert.Equal(1, (int)replayed["duplicates"]!);
        var detailAfter = await world.GatewayDetailAsync();
        Assert.Equal(2, (long)detailAfter["telemetry"]!["events_accepted"]!);
        // 0.0048075 before the outage + 0.00245 after it, each once
        Assert.Equal("0.0072575", (string)detailAfter["usage"]!["spend_usd"]!);
    }
}
