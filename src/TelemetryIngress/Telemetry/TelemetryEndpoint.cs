using System.Collections.Immutable;
using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Telemetry;

/// <summary><c>POST /dp/telemetry</c>: validate per event, then hand the valid ones to the gateway's grain in one call.</summary>
internal static partial class TelemetryEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IGrainFactory grains,
        BudgetDecisions decisions,
        IOptions<DataPlaneOptions> options,
        TimeProvider time,
        IngressMetrics metrics,
        TelemetryInFlight inFlight,
        ILoggerFactory loggers)
    {
        var settings = options.Value;
        var identity = context.GetGatewayIdentity();
        using var lease = inFlight.TryEnter(identity);
        if (lease is null)
        {
            return Problems.TooManyRequests(context, settings.RetryAfterSeconds,
                $"gateway '{identity.DpId}' already has {settings.MaxTelemetryInFlightPerGateway} telemetry requests in progress on this data plane (DataPlane:MaxTelemetryInFlightPerGateway); send this batch again after Retry-After");
        }

        var (read, problem) = await RequestBody.ReadAsync(
            context.Request, settings.MaxBodyBytes, settings.MaxDecompressedBytes, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        // Given back to the pool once parsed: the events hold copies of what they need.
        using var body = read!;

        if (EventCounter.Count(body.Span, settings.MaxEventsPerBatch) > settings.MaxEventsPerBatch)
        {
            return TooManyEvents(settings);
        }

        TelemetryBody? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body.Span, DataPlaneJsonContext.Default.TelemetryBody);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest(
                $"the body must be a JSON object {{\"events\": [...]}}: {JsonFieldError.Describe(ex, BodyRules)}");
        }

        if (parsed?.Events is null)
        {
            return Problems.BadRequest("the body must be a JSON object with an 'events' array");
        }

        if (parsed.Events.Count > settings.MaxEventsPerBatch)
        {
            return TooManyEvents(settings);
        }

        var now = time.GetUtcNow();
        var valid = ImmutableArray.CreateBuilder<UsageEvent>(parsed.Events.Count);
        var rejected = new List<RejectedEvent>();
        var positions = new List<int>(parsed.Events.Count);
        for (var i = 0; i < parsed.Events.Count; i++)
        {
            var usage = UsageEventValidator.Validate(
                parsed.Events[i], now, settings.MaxClockSkew, settings.MaxEventAge, out var error, out var reason);
            if (usage is null)
            {
                rejected.Add(new RejectedEvent(i, error!, reason!));
            }
            else
            {
                valid.Add(usage);
                positions.Add(i);
            }
        }

        var batch = new TelemetryBatch
        {
            Events = valid.ToImmutable(),
            RejectedCount = rejected.Count,
            RejectedByReason = rejected.CountBy(r => r.Reason).ToImmutableDictionary(StringComparer.Ordinal),
            ReceivedAt = now,
        };
        TelemetryBatchResult result;
        var started = time.GetTimestamp();
        try
        {
            var gateway = grains.GetGrain<IGatewayGrain>(GatewayKey.Format(identity.EnvironmentId, identity.DpId));
            result = await gateway.IngestTelemetryAsync(batch);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // Whatever failed, durability of this batch cannot be promised: the gateway must send it again.
            metrics.Unavailable();
            LogIngestUnavailable(loggers.CreateLogger(typeof(TelemetryEndpoint)), ex, identity.EnvironmentId, identity.DpId);
            return Problems.Unavailable(context, settings.RetryAfterSeconds,
                "the usage ledger is unavailable; nothing of this batch was acknowledged, send it again");
        }

        if (!result.Rejected.IsEmpty)
        {
            // Events valid in form that the cluster could not price, attribute or store: rejected on their own.
            rejected.AddRange(result.Rejected.Select(r => new RejectedEvent(positions[r.Position], r.Message, r.Reason)));
            rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
        }

        decisions.Observe(result.Transitioned);
        metrics.Recorded(result.Accepted, result.Duplicates, rejected.CountBy(r => r.Reason), time.GetElapsedTime(started));
        return TypedResults.Json(
            new TelemetryResponse(result.Accepted, result.Duplicates, rejected),
            DataPlaneJsonContext.Default.TelemetryResponse);
    }

    private static IResult TooManyEvents(DataPlaneOptions settings) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Too many events",
            $"the batch has more than {settings.MaxEventsPerBatch} events (DataPlane:MaxEventsPerBatch)");

    private static readonly Dictionary<string, string> BodyRules = new(StringComparer.Ordinal)
    {
        ["events"] = "must be an array of event objects",
    };

    [LoggerMessage(2001, LogLevel.Warning, "Telemetry of gateway {EnvironmentId}/{DpId} answered 503")]
    private static partial void LogIngestUnavailable(ILogger logger, Exception exception, string environmentId, string dpId);
}
