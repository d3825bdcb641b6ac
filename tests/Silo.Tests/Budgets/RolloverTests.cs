using BudgetCluster.TestSupport;
using BudgetCluster.Silo.Tests.Infrastructure;

namespace BudgetCluster.Silo.Tests.Budgets;

/// <summary>A silo whose clock the test moves forward, and whose budgets look at it every 200 ms.</summary>
public sealed class MovableClockFixture : MovableClockSiloFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Budgets:RolloverCheckInterval=00:00:00.200"];
}

public sealed class RolloverTests(MovableClockFixture silo) : IClassFixture<MovableClockFixture>
{
    [Fact]
    public async Task ClockPastThePeriodEnd_ClearsByTimerWithoutAnyEvent_AndResetsSpend()
    {
        using var world = await silo.OnboardAsync();
        var key = await BudgetCheckTests.KeyAsync(world, "k");
        var id = await BudgetApiTests.CreateAsync(world, BudgetApiTests.Body(world, limit: "1", period: "day"));
        await using var events = await SseClient.ConnectAsync(world.Gateway);
        await events.NextAsync();
        await world.Gateway.PostTelemetryOkAsync(BudgetSpendTests.Batch("x", 1, "1.50", key, silo.Clock.GetUtcNow()));
        await events.NextNamedAsync("budget.exceeded");
        var denied = await BudgetCheckTests.CheckAsync(world.Gateway, key);
        var exceeded = await BudgetSpendTests.StatusAsync(world, id);

        silo.Clock.Advance(TimeSpan.FromDays(1));
        var cleared = await events.NextNamedAsync("budget.cleared", TimeSpan.FromSeconds(5));
        var allowed = await BudgetCheckTests.CheckAsync(world.Gateway, key);
        var status = await BudgetSpendTests.StatusAsync(world, id);

        Assert.False((bool)denied["allow"]!);
        Assert.Equal(id, (string)cleared.Data["budget_id"]!);
        Assert.Equal("0.00", (string)cleared.Data["spent_usd"]!);
        Assert.Equal(exceeded["period_resets_at"]!.ToString(), (string)cleared.Data["period_start"]!);
        Assert.True((bool)allowed["allow"]!);
        Assert.Equal(("ok", false, "0.00"), BudgetSpendTests.State(status));
    }
}
