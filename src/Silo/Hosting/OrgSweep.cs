using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.Silo.Hosting;

/// <summary>
/// Every <see cref="Interval"/>, visits every org of the org directory, page by page. Every silo
/// runs each sweep; what a visit asks of an org's grain is idempotent, and the grain's one
/// activation serializes the silos' visits. One org's failure is logged and costs only that org
/// this round. Driven by the durable directory, so work an org has left survives any silo.
/// </summary>
internal abstract partial class OrgSweep(IGrainFactory grains, TimeProvider time, ILogger logger) : BackgroundService
{
    private const int PageSize = 500;

    protected abstract TimeSpan Interval { get; }

    /// <summary>What the sweep asks of one org.</summary>
    protected abstract Task VisitAsync(IGrainFactory grains, string orgId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
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
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogListFailed(logger, error, GetType().Name);
                return;
            }

            foreach (var entry in page.Entries)
            {
                try
                {
                    await VisitAsync(grains, entry.Id);
                }
                catch (Exception error) when (!stoppingToken.IsCancellationRequested)
                {
                    LogVisitFailed(logger, error, GetType().Name, entry.Id);
                }
            }

            if (!page.HasMore)
            {
                return;
            }

            after = page.Entries[^1].Id;
        }
    }

    [LoggerMessage(6101, LogLevel.Warning, "{Sweep} could not list the orgs; trying again at the next round")]
    private static partial void LogListFailed(ILogger logger, Exception exception, string sweep);

    [LoggerMessage(6102, LogLevel.Warning, "{Sweep} failed for org {OrgId}; trying again at the next round")]
    private static partial void LogVisitFailed(ILogger logger, Exception exception, string sweep, string orgId);
}
