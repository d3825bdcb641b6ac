using System.Collections.Immutable;
using System.Security.Cryptography;
using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary><c>/api/v1/budgets</c>: budget policies and their live status.</summary>
public static class BudgetsApi
{
    public const decimal MaxLimitUsd = 1_000_000_000_000m;
    public const int MaxThresholds = 10;

    private static readonly ImmutableArray<decimal> DefaultThresholds = [0.8m];

    public static RouteGroupBuilder MapBudgetsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/budgets", CreateAsync)
            .Accepts<BudgetBody>("application/json")
            .Produces<BudgetView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/budgets", ListAsync)
            .Produces<IReadOnlyList<BudgetView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/budgets/{budget_id}", GetAsync)
            .Produces<BudgetView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/budgets/{budget_id}", ReplaceAsync)
            .Accepts<BudgetBody>("application/json")
            .Produces<BudgetView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/budgets/{budget_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/budgets/{budget_id}/status", StatusAsync)
            .Produces<BudgetStatusView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IGrainFactory grains)
    {
        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.BudgetBody);
        if (problem is not null)
        {
            return problem;
        }

        var (policy, invalid) = await ToPolicyAsync(body!, grains);
        if (invalid is not null)
        {
            return invalid;
        }

        var budgetId = NewBudgetId();
        await grains.GetGrain<IOrgGrain>(policy!.OrgId).DefineBudgetAsync(budgetId, policy);
        return TypedResults.Json(View(budgetId, policy), AdminJsonContext.Default.BudgetView, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync([FromQuery(Name = "org_id")] string? orgId, IGrainFactory grains)
    {
        if (orgId is null)
        {
            return Problems.BadRequest("query parameter 'org_id' is required");
        }

        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var org = grains.GetGrain<IOrgGrain>(orgId);
        if (await org.GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        IReadOnlyList<BudgetView> views = (await org.ListBudgetsAsync()).Select(b => View(b.BudgetId, b.Policy)).ToList();
        return TypedResults.Json(views, AdminJsonContext.Default.IReadOnlyListBudgetView);
    }

    private static async Task<IResult> GetAsync([FromRoute(Name = "budget_id")] string budgetId, IGrainFactory grains)
    {
        if (Ids.Check(budgetId, "budget_id") is { } badId)
        {
            return badId;
        }

        var policy = await grains.GetGrain<IBudgetGrain>(budgetId).GetBudgetAsync();
        return policy is null ? NotFound(budgetId) : TypedResults.Json(View(budgetId, policy), AdminJsonContext.Default.BudgetView);
    }

    private static async Task<IResult> ReplaceAsync([FromRoute(Name = "budget_id")] string budgetId, HttpRequest request, IGrainFactory grains)
    {
        if (Ids.Check(budgetId, "budget_id") is { } badId)
        {
            return badId;
        }

        if (await grains.GetGrain<IBudgetGrain>(budgetId).GetBudgetAsync() is null)
        {
            return NotFound(budgetId);
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.BudgetBody);
        if (problem is not null)
        {
            return problem;
        }

        var (policy, invalid) = await ToPolicyAsync(body!, grains);
        if (invalid is not null)
        {
            return invalid;
        }

        await grains.GetGrain<IOrgGrain>(policy!.OrgId).DefineBudgetAsync(budgetId, policy);

        return TypedResults.Json(View(budgetId, policy), AdminJsonContext.Default.BudgetView);
    }

    private static async Task<IResult> DeleteAsync([FromRoute(Name = "budget_id")] string budgetId, IGrainFactory grains)
    {
        if (Ids.Check(budgetId, "budget_id") is { } badId)
        {
            return badId;
        }

        // The budget knows its org; the org owns its deletion.
        var policy = await grains.GetGrain<IBudgetGrain>(budgetId).GetBudgetAsync();
        return policy is not null && await grains.GetGrain<IOrgGrain>(policy.OrgId).DeleteBudgetAsync(budgetId)
            ? TypedResults.NoContent()
            : NotFound(budgetId);
    }

    private static async Task<IResult> StatusAsync([FromRoute(Name = "budget_id")] string budgetId, IGrainFactory grains)
    {
        if (Ids.Check(budgetId, "budget_id") is { } badId)
        {
            return badId;
        }

        var status = await grains.GetGrain<IBudgetGrain>(budgetId).GetBudgetStatusAsync();
        return status is null ? NotFound(budgetId) : TypedResults.Json(StatusView(status), AdminJsonContext.Default.BudgetStatusView);
    }

    /// <summary>Every rule of a budget body; the org and an environment scope must exist.</summary>
    /// <summary>A new budget's id: <c>b-</c> and 16 random hex digits.</summary>
    internal static string NewBudgetId() => "b-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The policy a body asks for, or the 400/404 that refuses it, naming the field: the API's and the console's one check.</summary>
    internal static async Task<(BudgetPolicy? Policy, IResult? Problem)> ToPolicyAsync(BudgetBody body, IGrainFactory grains)
    {
        if ((Text.RequiredId(body.OrgId, "org_id") ?? Text.RequiredName(body.Name, "name")) is { } invalid)
        {
            return (null, invalid);
        }

        if (body.Scope is null)
        {
            return (null, Problems.BadRequest("missing required field 'scope'"));
        }

        var scopeType = BudgetWire.ParseScope(body.Scope.Type);
        if (scopeType is null)
        {
            return (null, Problems.BadRequest(
                $"'scope.type' must be one of org, environment, api_key, provider_key, team, member (got '{body.Scope.Type}')"));
        }

        if (Text.RequiredId(body.Scope.Ref, "scope.ref") is { } badRef)
        {
            return (null, badRef);
        }

        if (body.LimitUsd is not { } limit)
        {
            return (null, Problems.BadRequest("missing required field 'limit_usd'"));
        }

        if (limit <= 0m || limit > MaxLimitUsd)
        {
            return (null, Problems.BadRequest($"'limit_usd' must be greater than 0 and at most {MaxLimitUsd} (got {limit})"));
        }

        var period = BudgetWire.ParsePeriod(body.Period);
        if (period is null)
        {
            return (null, Problems.BadRequest($"'period' must be one of day, week, month (got '{body.Period}')"));
        }

        var mode = BudgetWire.ParseMode(body.Mode);
        if (mode is null)
        {
            return (null, Problems.BadRequest($"'mode' must be one of hard_stop, warn_only (got '{body.Mode}')"));
        }

        var timeZone = body.Timezone ?? "UTC";
        if (!TimeZones.TryFindIana(timeZone, out _))
        {
            return (null, Problems.BadRequest($"'timezone' must be an IANA time zone such as Europe/London or UTC (got '{timeZone}')"));
        }

        var thresholds = body.Thresholds is null ? DefaultThresholds : [.. body.Thresholds];
        if (ThresholdProblem(thresholds) is { } badThresholds)
        {
            return (null, badThresholds);
        }

        if (await grains.GetGrain<IOrgGrain>(body.OrgId!).GetOrgAsync() is null)
        {
            return (null, Problems.NotFound($"org '{body.OrgId}' not found"));
        }

        if (scopeType == ScopeType.Org && body.Scope.Ref != body.OrgId)
        {
            return (null, Problems.BadRequest($"'scope.ref' of an org budget must be its org_id '{body.OrgId}' (got '{body.Scope.Ref}')"));
        }

        if (scopeType == ScopeType.Environment)
        {
            var environment = await grains.GetGrain<IEnvironmentGrain>(body.Scope.Ref!).GetEnvironmentAsync();
            if (environment is null)
            {
                return (null, Problems.NotFound($"environment '{body.Scope.Ref}' not found"));
            }

            if (environment.OrgId != body.OrgId)
            {
                return (null, Problems.BadRequest($"environment '{body.Scope.Ref}' belongs to org '{environment.OrgId}', not '{body.OrgId}'"));
            }
        }

        return (new BudgetPolicy
        {
            OrgId = body.OrgId!,
            Name = body.Name!,
            Scope = new BudgetScope(scopeType.Value, body.Scope.Ref!),
            LimitUsd = limit,
            Period = period.Value,
            Mode = mode.Value,
            TimeZone = timeZone,
            Thresholds = thresholds,
        }, null);
    }

    private static IResult? ThresholdProblem(ImmutableArray<decimal> thresholds)
    {
        if (thresholds.Length > MaxThresholds)
        {
            return Problems.BadRequest($"'thresholds' may have at most {MaxThresholds} entries");
        }

        for (var i = 0; i < thresholds.Length; i++)
        {
            if (thresholds[i] <= 0m || thresholds[i] > 1m)
            {
                return Problems.BadRequest($"'thresholds[{i}]' must be a fraction of the limit in (0, 1] (got {thresholds[i]})");
            }

            if (i > 0 && thresholds[i] <= thresholds[i - 1])
            {
                return Problems.BadRequest($"'thresholds' must be strictly increasing ({thresholds[i - 1]} then {thresholds[i]})");
            }
        }

        return null;
    }

    private static IResult NotFound(string budgetId) => Problems.NotFound($"budget '{budgetId}' not found");

    internal static BudgetView View(string budgetId, BudgetPolicy policy) => new(
        budgetId,
        policy.OrgId,
        policy.Name,
        new BudgetScopeView(BudgetWire.Scope(policy.Scope.Type), policy.Scope.Ref),
        WireFormat.Usd(policy.LimitUsd),
        BudgetWire.Period(policy.Period),
        BudgetWire.Mode(policy.Mode),
        policy.TimeZone,
        policy.Thresholds);

    internal static BudgetStatusView StatusView(BudgetStatus status) => new(
        status.BudgetId,
        BudgetWire.State(status.State),
        status.Blocking,
        WireFormat.Usd(status.SpentUsd),
        WireFormat.Usd(status.Policy.LimitUsd),
        WireFormat.Usd(status.RemainingUsd),
        WireFormat.Instant(status.PeriodStart),
        WireFormat.Instant(status.PeriodResetsAt),
        status.Version,
        // An estimate: to the micro-dollar per hour (a rate divides, so it has no exact finite form).
        status.BurnRateUsdPerHour is { } rate ? WireFormat.Usd(Math.Round(rate, 6, MidpointRounding.AwayFromZero)) : null,
        WireFormat.Instant(status.ProjectedExhaustionAt));
}
