using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using BudgetCluster.TelemetryIngress.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BudgetCluster.TelemetryIngress.Budgets;

/// <summary><c>GET /dp/budget_check?api_key_id=K</c>: may a request with this key go on, answered from memory.</summary>
internal static partial class BudgetCheckEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context,
        BudgetDecisions decisions,
        IOptions<DataPlaneOptions> options,
        TimeProvider time,
        IngressMetrics metrics,
        ILoggerFactory loggers)
    {
        var started = time.GetTimestamp();
        var identity = context.GetGatewayIdentity();
        var apiKeyId = context.Request.Query["api_key_id"].ToString();
        if (apiKeyId.Length == 0)
        {
            return Problems.BadRequest("query parameter 'api_key_id' is required");
        }

        BudgetDecision? decision;
        try
        {
            decision = await decisions.DecideAsync(identity.EnvironmentId, apiKeyId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            LogCheckUnavailable(loggers.CreateLogger(typeof(BudgetCheckEndpoint)), ex, identity.EnvironmentId);
            return Problems.Unavailable(context, options.Value.RetryAfterSeconds, "budget decisions are unavailable; apply your fail_mode");
        }

        if (decision is null)
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "Forbidden",
                $"api key '{apiKeyId}' is not registered in environment '{identity.EnvironmentId}'");
        }

        var now = time.GetUtcNow();
        var response = new BudgetCheckResponse(
            decision.Allow,
            BudgetWire.FailMode(decision.FailMode),
            decision.Reason is { } reason ? Reason(reason, now) : null,
            decision.Tightest is { } budget ? Figures(budget, now) : null);
        metrics.Decided(decision.Allow, time.GetElapsedTime(started));
        return TypedResults.Json(response, DataPlaneJsonContext.Default.BudgetCheckResponse);
    }

    /// <summary>"org budget 'monthly' exceeded ($10.00/month). Resets 2026-12-01 00:00 UTC."</summary>
    internal static string Message(BudgetStatus status) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{BudgetWire.Scope(status.Policy.Scope.Type)} budget '{status.Policy.Name}' exceeded (${WireFormat.Usd(status.Policy.LimitUsd)}/{BudgetWire.Period(status.Policy.Period)}). Resets {status.PeriodResetsAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");

    private static BudgetCheckReason Reason(BudgetStatus status, DateTimeOffset now) => new(
        "billing_error",
        "budget_exceeded",
        Message(status),
        BudgetWire.Scope(status.Policy.Scope.Type),
        status.Policy.Scope.Ref,
        status.BudgetId,
        WireFormat.Usd(status.Policy.LimitUsd),
        WireFormat.Usd(status.SpentUsd),
        BudgetWire.Period(status.Policy.Period),
        WireFormat.Instant(status.PeriodResetsAt),
        SecondsUntil(status.PeriodResetsAt, now));

    private static BudgetCheckBudget Figures(BudgetStatus status, DateTimeOffset now) => new(
        WireFormat.Usd(status.Policy.LimitUsd),
        WireFormat.Usd(status.SpentUsd),
        WireFormat.Usd(status.RemainingUsd),
        SecondsUntil(status.PeriodResetsAt, now));

    private static long SecondsUntil(DateTimeOffset instant, DateTimeOffset now) =>
        Math.Max(0L, (long)Math.Ceiling((instant - now).TotalSeconds));

    [LoggerMessage(2401, LogLevel.Warning, "Budget check for environment {EnvironmentId} answered 503")]
    private static partial void LogCheckUnavailable(ILogger logger, Exception exception, string environmentId);
}
