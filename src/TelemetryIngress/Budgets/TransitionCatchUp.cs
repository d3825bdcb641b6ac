using Microsoft.Extensions.Hosting;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>Every second, has this process's budget views ask for the transitions their streams lost (<see cref="OrgBudgetViews.CatchUpAsync"/>).</summary>
internal sealed class TransitionCatchUp(OrgBudgetViews views, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(OrgBudgetViews.CatchUpAfter, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await views.CatchUpAsync();
        }
    }
}
