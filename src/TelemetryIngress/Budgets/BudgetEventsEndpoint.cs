using System.Globalization;
using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
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
    public static async Task HandleAsync(
        HttpContext context,
        BudgetDecisions decisions,
        GatewayStreams streams,
        IOptions<DataPlaneOptions> options,
        TimeProvider time,
        IngressMetrics metrics,
        ILoggerFactory loggers)
    {
        var identity = context.GetGatewayIdentity();
        using var lease = streams.TryOpen(identity);
        if (lease is null)
        {
            await Problems.TooManyRequests(
                context,
                options.Value.RetryAfterSeconds,
                $"gateway '{identity.DpId}' already has {options.Value.MaxStreamsPerGateway} budget_events streams open on this data plane (DataPlane:MaxStreamsPerGateway); close one or retry later")
                .ExecuteAsync(context);
            return;
        }

        OrgBudgetView? view;
        EnvironmentCatalog catalog;
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

        var writer = new ServerSentEventWriter(context.Response, context.RequestAborted);
        using var subscription = view.Subscribe(ResumePoint(context.Request, decisions.InstanceId));
        metrics.StreamOpened();
        try
        {
            await writer.StartAsync();
            if (subscription.Snapshot is { } snapshot)
            {
                await WriteSnapshotAsync(writer, decisions, subscription.SnapshotSequence, EnvironmentBudgetFilter.Snapshot(snapshot, identity.EnvironmentId, catalog), time);
            }

            while (await writer.WaitToReadAsync(subscription.Transitions))
            {
                while (subscription.Transitions.TryRead(out var next))
                {
                    if (await WriteTransitionAsync(writer, decisions, identity.EnvironmentId, next.Sequence, next.Event, time))
                    {
                        metrics.Propagated("sse", next.Event.OccurredAt, time.GetUtcNow());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The gateway went away.
        }
        finally
        {
            metrics.StreamClosed();
        }
    }

    private static Task WriteSnapshotAsync(
        ServerSentEventWriter writer, BudgetDecisions decisions, long sequence, IEnumerable<BudgetStatus> budgets, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var data = new BudgetSnapshotData([.. budgets.Select(s => Data(s, null, now, now))], WireFormat.Instant(now));
        return writer.WriteAsync(Id(decisions, sequence), "snapshot", JsonSerializer.Serialize(data, DataPlaneJsonContext.Default.BudgetSnapshotData));
    }

    /// <summary>Writes a transition that concerns this gateway's environment; false when it does not.</summary>
    private static async Task<bool> WriteTransitionAsync(
        ServerSentEventWriter writer, BudgetDecisions decisions, string environmentId, long sequence, BudgetEvent item, TimeProvider time)
    {
        // Keys and models come and go: judge each event by the catalog as it is now.
        var catalog = await decisions.CatalogOfAsync(environmentId);
        if (!EnvironmentBudgetFilter.Concerns(item.Status.Policy.Scope, environmentId, catalog))
        {
            return false;
        }

        var data = Data(item.Status, item.Threshold, item.OccurredAt, time.GetUtcNow());
        await writer.WriteAsync(Id(decisions, sequence), EventName(item.Kind), JsonSerializer.Serialize(data, DataPlaneJsonContext.Default.BudgetEventData));
        return true;
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

    /// <summary>An event's data; <c>blocking</c> by the decision rule, so a budget whose period has ended never reads blocking.</summary>
    private static BudgetEventData Data(BudgetStatus status, decimal? threshold, DateTimeOffset occurredAt, DateTimeOffset now) => new(
        status.BudgetId,
        BudgetWire.Scope(status.Policy.Scope.Type),
        status.Policy.Scope.Ref,
        BudgetWire.Mode(status.Policy.Mode),
        WireFormat.Usd(status.Policy.LimitUsd),
        WireFormat.Usd(status.SpentUsd),
        WireFormat.Instant(status.PeriodStart),
        WireFormat.Instant(status.PeriodResetsAt),
        BudgetDecisionRule.IsBlocking(status, now),
        status.Version,
        WireFormat.Instant(occurredAt),
        BudgetWire.State(status.State),
        threshold);

    [LoggerMessage(2501, LogLevel.Warning, "Budget events for environment {EnvironmentId} answered 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string environmentId);
}
