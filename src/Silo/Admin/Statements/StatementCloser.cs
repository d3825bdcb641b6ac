using BudgetCluster.Grains.Abstractions.Billing;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Billing;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Statements;

/// <summary>
/// Every <see cref="BillingOptions.CloseCheckInterval"/>, asks each org (from the org directory) to
/// close its due statements. Every silo runs one; an org's statements grain serializes the calls,
/// so a statement closes once. One org's failure is logged and costs only that org this round.
/// </summary>
internal sealed partial class StatementCloser(
    IGrainFactory grains,
    IOptions<BillingOptions> options,
    TimeProvider time,
    ILogger<StatementCloser> logger) : BackgroundService
{
    private const int PageSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CloseCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CloseDueAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CloseDueAsync(CancellationToken stoppingToken)
    {
        var directory = grains.GetGrain<IOrgDirectoryGrain>(IOrgDirectoryGrain.Key);
        string? after = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            DefinitionPage<string> page;
            try
            {
                page = await directory.ListAsync(after, PageSize);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogListFailed(logger, error);
                return;
            }

            foreach (var entry in page.Entries)
            {
                try
                {
                    await grains.GetGrain<IStatementsGrain>(entry.Id).CloseDueStatementsAsync();
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    LogCloseFailed(logger, error, entry.Id);
                }
            }

            if (!page.HasMore)
            {
                return;
            }

            after = page.Entries[^1].Id;
        }
    }

    [LoggerMessage(6101, LogLevel.Warning, "Could not list the orgs to close their due statements; trying again at the next check")]
    private static partial void LogListFailed(ILogger logger, Exception exception);

    [LoggerMessage(6102, LogLevel.Warning, "Could not close the due statements of org {OrgId}; trying again at the next check")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string orgId);
}
