using BudgetCluster.Grains.Abstractions.Billing;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Billing;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Statements;

/// <summary>
/// <c>/api/v1/orgs/{org_id}/statements</c> (API.md §8): an org's monthly statements in its billing
/// time zone, open until closed, then the same bytes forever. A statement's body is written by
/// <see cref="StatementJson"/> in the grain, so this class serves bytes and never re-serializes one.
/// </summary>
public static class StatementsApi
{
    private const string PeriodRule = "must be a month written YYYY-MM (1972-01 to 9998-12)";

    public static RouteGroupBuilder MapStatementsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/orgs/{org_id}/statements", ListAsync)
            .Produces<StatementListView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/orgs/{org_id}/statements/{period}", GetAsync)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/orgs/{org_id}/statements/{period}/close", CloseAsync)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> ListAsync([FromRoute(Name = "org_id")] string orgId, IGrainFactory grains)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        if (await grains.GetGrain<IOrgGrain>(orgId).GetOrgAsync() is not { } org)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        var statements = await grains.GetGrain<IStatementsGrain>(orgId).ListStatementsAsync();
        var views = statements.Select(Summary).ToList();
        return TypedResults.Json(new StatementListView(orgId, org.BillingTimeZone ?? "UTC", views), AdminJsonContext.Default.StatementListView);
    }

    internal static StatementSummaryView Summary(StatementSummary statement) => new(
        statement.Period,
        statement.Closed ? "closed" : "open",
        WireFormat.Instant(statement.StartingAt),
        WireFormat.Instant(statement.EndingAt),
        WireFormat.Instant(statement.ClosedAt),
        WireFormat.Usd(statement.TotalUsd),
        statement.ContentSha256);

    internal static Task<IResult> GetAsync([FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "period")] string period, IGrainFactory grains) =>
        AnswerAsync(orgId, period, grains, (statements, month) => statements.GetStatementAsync(month));

    private static Task<IResult> CloseAsync([FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "period")] string period, IGrainFactory grains) =>
        AnswerAsync(orgId, period, grains, (statements, month) => statements.CloseStatementAsync(month));

    private static async Task<IResult> AnswerAsync(
        string orgId, string period, IGrainFactory grains, Func<IStatementsGrain, string, Task<byte[]?>> ask)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        if (!StatementPeriod.TryParse(period, out _))
        {
            return Problems.BadRequest($"'period' {PeriodRule} (got '{period}')");
        }

        if (await grains.GetGrain<IOrgGrain>(orgId).GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        var body = await ask(grains.GetGrain<IStatementsGrain>(orgId), period);
        return body is null
            ? Problems.NotFound($"org '{orgId}' has no statement for {period}: its statements run from the month it was created to the current month")
            : TypedResults.Bytes(body, "application/json");
    }
}
