using BudgetCluster.Grains.Abstractions.Billing;
using BudgetCluster.Grains.Billing;
using BudgetCluster.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Statements;

/// <summary>
/// Every <see cref="BillingOptions.CloseCheckInterval"/>, asks each org to close its due statements;
/// the org's statements grain closes each once however many silos ask.
/// </summary>
internal sealed class StatementCloser(IGrainFactory grains, IOptions<BillingOptions> options, TimeProvider time, ILogger<StatementCloser> logger)
    : OrgSweep(grains, time, logger)
{
    protected override TimeSpan Interval => options.Value.CloseCheckInterval;

    protected override Task VisitAsync(IGrainFactory grains, string orgId) =>
        grains.GetGrain<IStatementsGrain>(orgId).CloseDueStatementsAsync();
}
