using System.Net;
using BudgetCluster.Silo.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace BudgetCluster.Silo.Tests.Durability;

/// <summary>A silo whose embedded databases give up on a lock after one second.</summary>
public sealed class StorageOutageFixture : SiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Storage:SqliteBusyTimeout=00:00:01"];
}

/// <summary>When storage cannot write, callers get 503 and nothing half-done; once it can, a retry does the work exactly once.</summary>
public sealed class StorageOutageTests(StorageOutageFixture silo) : IClassFixture<StorageOutageFixture>
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

    [Fact]
    public async Task PutOrg_GrainStorageLocked_Is503AndTheRetryStoresIt()
    {
        using var world = await silo.OnboardAsync();

        await using (var blocker = await LockAsync("grains.db"))
        {
            using var refused = await world.Admin.PutAsync($"/api/v1/orgs/{world.OrgId}", """{"name":"Renamed","fail_mode":"open"}""");

            await Http.ReadProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("2", refused.Headers.GetValues("Retry-After").Single());
            // The change was not stored, so it is not shown either.
            Assert.Equal("Acme", (string)(await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}"))["name"]!);
        }

        await world.Admin.PutOkAsync($"/api/v1/orgs/{world.OrgId}", """{"name":"Renamed","fail_mode":"open"}""");

        var org = await world.Admin.GetOkAsync($"/api/v1/orgs/{world.OrgId}");
        Assert.Equal("Renamed", (string)org["name"]!);
        Assert.Equal("open", (string)org["fail_mode"]!);
    }

    /// <summary>Another writer holding the database: every write of the silo waits, then fails.</summary>
    private async Task<Blocker> LockAsync(string database)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(silo.DataDirectory, database)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        await command.ExecuteNonQueryAsync();
        return new Blocker(connection);
    }

    private sealed class Blocker(SqliteConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "ROLLBACK;";
                await command.ExecuteNonQueryAsync();
            }

            await connection.DisposeAsync();
        }
    }
}
