using System.Globalization;
using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary>
/// <c>GET /dp/budget_events</c>: server-sent events scoped to the certificate's environment. A
/// <c>snapshot</c> first (unless <c>Last-Event-ID</c> resumes within this process's recent log),
/// then one event per transition. Ids are <c>{process}.{sequence}</c>.
/// </summary>
internal static partial class BudgetEventsEndpoint
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task HandleAsync(
        HttpContext context,
        BudgetDecisions decisions,
        IOptions<DataPlaneOptions> options,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        var identity = context.GetGatewayIdentity();
        OrgBudgetView? view;
        Grains.Abstractions.Definitions.EnvironmentCatalog catalog;
        try
        {
            (view, catalog) = await decisions.EnvironmentViewAsync(identity.EnvironmentId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            LogUnavailable(loggers.CreateLogger(typeof(BudgetEventsEndpoint)), ex, identity.EnvironmentId);
            await Problems.Unavailable(context, options.Value.RetryAfterSeconds, "budget events are unavailable; reconnect").ExecuteAsync(context);
            return;
        }

        if (view is null)
        {
            await Problems.NotFound($"environment '{identity.EnvironmentId}' not found").ExecuteAsync(context);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        using var subscription = view.Subscribe(ResumePoint(context.Request, decisions.InstanceId));
        var aborted = context.RequestAborted;
        if (subscription.Snapshot is { } snapshot)
        {
            var budgets = snapshot
                .Where(s => s.State != BudgetState.Ok && BudgetDecisions.AppliesToEnvironment(s.Policy.Scope, identity.EnvironmentId, catalog))
                .OrderBy(s => s.BudgetId, StringComparer.Ordinal)
                .Select(s => Data(s, null, time.GetUtcNow()))
                .ToList();
            var data = JsonSerializer.Serialize(new BudgetSnapshotData(budgets, WireFormat.Instant(time.GetUtcNow())), DataPlaneJsonContext.Default.BudgetSnapshotData);
            await WriteAsync(response, Id(decisions, subscription.SnapshotSequence), "snapshot", data, aborted);
        }
        else
        {
            await response.Body.FlushAsync(aborted);
        }

        try
        {
            while (!aborted.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                wait.CancelAfter(KeepAlive);
                (long Sequence, BudgetEvent Event) next;
                try
                {
                    if (!await subscription.Transitions.WaitToReadAsync(wait.Token))
                    {
                        return;
                    }

                    if (!subscription.Transitions.TryRead(out next))
                    {
                        continue;
                    }
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", aborted);
                    await response.Body.FlushAsync(aborted);
                    continue;
                }

                var item = next.Event;
                // Keys and models come and go: judge each event by the catalog as it is now.
                catalog = await decisions.CatalogOfAsync(identity.EnvironmentId);
                if (!BudgetDecisions.AppliesToEnvironment(item.Status.Policy.Scope, identity.EnvironmentId, catalog))
                {
                    continue;
                }

                var data = JsonSerializer.Serialize(Data(item.Status, item.Threshold, item.OccurredAt), DataPlaneJsonContext.Default.BudgetEventData);
                await WriteAsync(response, Id(decisions, next.Sequence), EventName(item.Kind), data, aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The gateway went away.
        }
    }

    private static long? ResumePoint(HttpRequest request, string instanceId)
    {
        var lastEventId = request.Headers["Last-Event-ID"].ToString();
        var dot = lastEventId.LastIndexOf('.');
        return dot > 0
            && lastEventId[..dot] == instanceId
            && long.TryParse(lastEventId[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                ? sequence
                : null;
    }

    private static string Id(BudgetDecisions decisions, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{decisions.InstanceId}.{sequence}");

    private static string EventName(BudgetEventKind kind) => kind switch
    {
        BudgetEventKind.Threshold => "budget.threshold",
        BudgetEventKind.Exceeded => "budget.exceeded",
        _ => "budget.cleared",
    };

    private static BudgetEventData Data(BudgetStatus status, decimal? threshold, DateTimeOffset occurredAt) => new(
        status.BudgetId,
        BudgetWire.Scope(status.Policy.Scope.Type),
        status.Policy.Scope.Ref,
        BudgetWire.Mode(status.Policy.Mode),
        WireFormat.Usd(status.Policy.LimitUsd),
        WireFormat.Usd(status.SpentUsd),
        WireFormat.Instant(status.PeriodStart),
        WireFormat.Instant(status.PeriodResetsAt),
        status.Blocking,
        status.Version,
        WireFormat.Instant(occurredAt),
        BudgetWire.State(status.State),
        threshold);

    private static async Task WriteAsync(HttpResponse response, string id, string eventName, string data, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"id: {id}\nevent: {eventName}\ndata: {data}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    [LoggerMessage(2501, LogLevel.Warning, "Budget events for environment {EnvironmentId} answered 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string environmentId);
}
