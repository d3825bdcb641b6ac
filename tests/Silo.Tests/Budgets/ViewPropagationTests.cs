using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>
/// API.md §3 (v2): a change made through the admin API takes effect on every <c>/dp/*</c> answer
/// within 1 second, and a deleted budget never denies again. Each test first makes the data plane
/// hold the environment's catalog and org view, so what is measured is the push, not a first load.
/// </summary>
public sealed class ViewPropagationTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task FailModeChanged_BudgetCheckAnswersWithItWithinOneSecond()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        Assert.Equal("closed", (string)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["fail_mode"]!);

        await world.Admin.PutOkAsync($"/api/v1/orgs/{world.OrgId}", """{"name":"Acme","fail_mode":"open"}""");
        var took = await TimeUntilAsync(async () => (string)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["fail_mode"]! == "open");

        Assert.True(took < Deadline, $"budget_check still answered fail_mode 'closed' {Deadline.TotalMilliseconds} ms after the org was changed");
    }

    [Fact]
    public async Task ApiKeyBound_BudgetCheckKnowsItWithinOneSecond()
    {
        using var world = await silo.OnboardAsync();
        await BudgetCheckTests.CheckAsync(world.Gateway, await BudgetCheckTests.KeyAsync(world, "first"));
        var late = $"late-{world.Suffix}";
        // Asked for before it is bound, so the catalog held here is one without it.
        using (var before = await world.Gateway.BudgetCheckAsync(late))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        await world.Admin.PutOkAsync($"/api/v1/api-keys/{late}", $$"""{"environment_id":"{{world.EnvironmentId}}","team_id":"web","user_id":"ana"}""");
        var took = await TimeUntilAsync(async () => await StatusOfCheckAsync(world.Gateway, late) == HttpStatusCode.OK);

        Assert.True(took < Deadline, $"api key '{late}' was still unknown to budget_check {Deadline.TotalMilliseconds} ms after it was bound");
    }

    [Fact]
    public async Task ApiKeyMovedToAnotherEnvironment_IsRefusedInTheOldOneWithinOneSecond()
    {
        using var world = await silo.OnboardAsync();
        var envB = $"envb-{world.Suffix}";
        await world.Admin.PutOkAsync($"/api/v1/environments/{envB}", $$"""{"org_id":"{{world.OrgId}}","name":"B"}""");
        var key = await BudgetCheckTests.KeyAsync(world, "mover");
        Assert.True((bool)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["allow"]!);

        await world.Admin.PutOkAsync($"/api/v1/api-keys/{key}", $$"""{"environment_id":"{{envB}}"}""");
        var took = await TimeUntilAsync(async () => await StatusOfCheckAsync(world.Gateway, key) == HttpStatusCode.Forbidden);

        Assert.True(took < Deadline, $"api key '{key}' was still answered in its old environment {Deadline.TotalMilliseconds} ms after it moved");
    }

    [Fact]
    public async Task BudgetCreated_BudgetCheckCountsItWithinOneSecond()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "5", scope: "api_key", reference: key));
        Assert.Equal("5.00", (string)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["budget"]!["limit_usd"]!);

        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "team", reference: "web"));
        var took = await TimeUntilAsync(async () => (string?)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["budget"]?["limit_usd"] == "1.00");

        Assert.True(took < Deadline, $"budget '{id}' was not the tightest budget {Deadline.TotalMilliseconds} ms after it was created");
    }

    [Fact]
    public async Task BudgetDeleted_StopsDenyingWithinOneSecondAndNeverDeniesAgain()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("over", 1, "2", key));
        Assert.False(await AllowsAsync(world, key));

        using (var deleted = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var took = await TimeUntilAsync(() => AllowsAsync(world, key));
        Assert.True(took < Deadline, $"deleted budget '{id}' still denied {Deadline.TotalMilliseconds} ms after the deletion");

        // Spend of the key after the deletion, and a fresh SSE snapshot, must not bring it back either.
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("after", 1, "2", key));
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            var check = await BudgetCheckTests.CheckAsync(world.Gateway, key);
            Assert.True((bool)check["allow"]!, $"deleted budget '{id}' denied again: {check.ToJsonString()}");
            Assert.Null(check["budget"]);
        }

        await using var events = await SseClient.ConnectAsync(world.Gateway);
        Assert.Empty((await events.NextAsync()).Data["budgets"]!.AsArray());
    }

    [Fact]
    public async Task BudgetDeletedWhileItsCrossingBatchIsInFlight_NeverDeniesAfterTheDeletion()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", scope: "api_key", reference: key));
        Assert.True(await AllowsAsync(world, key));

        // The crossing batch's answer (the exceeded status) and the deletion race for the view.
        var crossing = Task.WhenAll(Enumerable.Range(0, 4).Select(i => world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch($"cross-{i}", 1, "2", key))));
        using (var deleted = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/budgets/{id}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await crossing;
        var took = await TimeUntilAsync(() => AllowsAsync(world, key));
        Assert.True(took < Deadline, $"deleted budget '{id}' still denied {Deadline.TotalMilliseconds} ms after the deletion");
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            Assert.True(await AllowsAsync(world, key), $"deleted budget '{id}' denied again");
        }

        using var status = await world.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/budgets/{id}/status"));
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    private static async Task<bool> AllowsAsync(TestWorld world, string key) =>
        (bool)(await BudgetCheckTests.CheckAsync(world.Gateway, key))["allow"]!;

    private static async Task<HttpStatusCode> StatusOfCheckAsync(GatewayClient gateway, string key)
    {
        using var response = await gateway.BudgetCheckAsync(key);
        return response.StatusCode;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> every 50 ms from the admin call's answer on, and returns how long it
    /// took to hold; <see cref="TimeSpan.MaxValue"/> when it did not hold by the deadline.
    /// </summary>
    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Deadline)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            await Task.Delay(PollInterval);
        }

        return TimeSpan.MaxValue;
    }
}
