using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary>
/// Every <see cref="BudgetGrainOptions.WakeInterval"/>, has each org wake its budgets whose period
/// ended: a budget whose silo died is active again and rolls over (sending <c>budget.cleared</c> by
/// stream and webhook) within the interval of its period's end, with no call needed.
/// </summary>
internal sealed class BudgetWaker(IGrainFactory grains, IOptions<BudgetGrainOptions> options, TimeProvider time, ILogger<BudgetWaker> logger)
    : OrgSweep(grains, time, logger)
{
    protected override TimeSpan Interval => options.Value.WakeInterval;

    protected override Task VisitAsync(IGrainFactory grains, string orgId) => grains.GetGrain<IOrgGrain>(orgId).WakeBudgetsAsync();
}
