using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Heartbeats;

/// <summary><c>POST /dp/heartbeat</c>: records that one instance of the calling gateway is alive.</summary>
internal static partial class HeartbeatEndpoint
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxTextLength = 256;

    private static readonly Dictionary<string, string> Rules = new(StringComparer.Ordinal)
    {
        ["dp_id"] = "must be a string",
        ["instance_id"] = "must be a string",
        ["hostname"] = "must be a string",
        ["version"] = "must be a string",
        ["config_hash"] = "must be a string",
        ["uptime_seconds"] = "must be an integer",
        ["applied_revision"] = "must be an integer",
    };

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IGrainFactory grains,
        IOptions<DataPlaneOptions> options,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        var identity = context.GetGatewayIdentity();
        var (read, problem) = await RequestBody.ReadAsync(context.Request, MaxBodyBytes, MaxBodyBytes, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using var body = read!;

        HeartbeatDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(body.Span, DataPlaneJsonContext.Default.HeartbeatDto);
        }
        catch (JsonException ex)
        {
            return Problems.BadRequest(JsonFieldError.Describe(ex, Rules));
        }

        if (dto is null)
        {
            return Problems.BadRequest("the body must be a JSON object");
        }

        if (string.IsNullOrEmpty(dto.InstanceId))
        {
            return Problems.BadRequest("missing required field 'instance_id'");
        }

        foreach (var (field, value) in new[]
                 {
                     ("instance_id", dto.InstanceId), ("hostname", dto.Hostname),
                     ("version", dto.Version), ("config_hash", dto.ConfigHash),
                 })
        {
            if (value is { Length: > MaxTextLength })
            {
                return Problems.BadRequest($"'{field}' must be at most {MaxTextLength} characters");
            }
        }

        var heartbeat = new GatewayHeartbeat
        {
            InstanceId = dto.InstanceId,
            Hostname = dto.Hostname,
            Version = dto.Version,
            UptimeSeconds = dto.UptimeSeconds,
            AppliedRevision = dto.AppliedRevision,
            ConfigHash = dto.ConfigHash,
            ReceivedAt = time.GetUtcNow(),
        };
        try
        {
            await grains.GetGrain<IGatewayGrain>(GatewayKey.Format(identity.EnvironmentId, identity.DpId))
                .RecordHeartbeatAsync(heartbeat);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            LogHeartbeatUnavailable(loggers.CreateLogger(typeof(HeartbeatEndpoint)), ex, identity.EnvironmentId, identity.DpId);
            return Problems.Unavailable(context, options.Value.RetryAfterSeconds, "the cluster is unavailable; send the heartbeat again");
        }

        return TypedResults.Json(new HeartbeatResponse(true), DataPlaneJsonContext.Default.HeartbeatResponse);
    }

    [LoggerMessage(2101, LogLevel.Warning, "Heartbeat of gateway {EnvironmentId}/{DpId} answered 503")]
    private static partial void LogHeartbeatUnavailable(ILogger logger, Exception exception, string environmentId, string dpId);
}
