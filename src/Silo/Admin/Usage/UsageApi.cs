using BudgetCluster.Grains.Ledger;
using BudgetCluster.Grains.Usage;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using BudgetCluster.Silo.Admin.OpenApi;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// <c>GET /api/v1/orgs/{org_id}/usage</c> (API.md §6): an org's usage and spend in time buckets of a
/// zone, grouped and filtered, read from the ledger's rollups (the same rows budgets count from),
/// as JSON or CSV. Results are never cut: past <c>limit</c> the answer pages by (bucket, group key).
/// </summary>
public static class UsageApi
{
    public static IServiceCollection AddUsageApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UsageOptions>()
            .Bind(configuration.GetSection(UsageOptions.SectionName))
            .Validate(options => options.SettleAfter >= TimeSpan.Zero, "Usage:SettleAfter must not be negative")
            .ValidateOnStart();
        return services;
    }

    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder api)
    {
        api.MapGet("/orgs/{org_id}/usage", UsageAsync)
            .WithQuery([.. UsageQuery.Documentation])
            // CSV is the same page, one row per (bucket, result): described by the JSON's schema.
            .Produces<UsageView>(StatusCodes.Status200OK, "application/json", UsageCsvResult.MediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static Task<IResult> UsageAsync(
        [FromRoute(Name = "org_id")] string orgId,
        HttpRequest request,
        IGrainFactory grains,
        IUsageLedger ledger,
        TimeProvider time,
        IOptions<UsageOptions> options) =>
        AnswerAsync(orgId, request, grains, ledger, time, options, csv: QueryParameters.Accepts(request, UsageCsvResult.MediaType));

    /// <summary>The usage view as CSV whatever the request accepts: the console's download link.</summary>
    internal static Task<IResult> CsvAsync(
        [FromRoute(Name = "org_id")] string orgId,
        HttpRequest request,
        IGrainFactory grains,
        IUsageLedger ledger,
        TimeProvider time,
        IOptions<UsageOptions> options) =>
        AnswerAsync(orgId, request, grains, ledger, time, options, csv: true);

    private static async Task<IResult> AnswerAsync(
        string orgId, HttpRequest request, IGrainFactory grains, IUsageLedger ledger, TimeProvider time, IOptions<UsageOptions> options, bool csv)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var (query, view, problem) = await ReadAsync(orgId, request.Query, grains, ledger, time.GetUtcNow(), options.Value.SettleAfter, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        return csv
            ? new UsageCsvResult(view!, query!.GroupBy)
            : TypedResults.Json(view!, AdminJsonContext.Default.UsageView);
    }

    /// <summary>
    /// The usage view of <paramref name="parameters"/> (API.md §6), or the 400/404 that refuses
    /// them: the one path the API and the console both read usage through.
    /// </summary>
    internal static async Task<(UsageQuery? Query, UsageView? View, IResult? Problem)> ReadAsync(
        string orgId, IQueryCollection parameters, IGrainFactory grains, IUsageLedger ledger, DateTimeOffset asOf, TimeSpan settleAfter, CancellationToken cancellationToken)
    {
        var (query, problem) = UsageQuery.Parse(orgId, parameters, asOf);
        if (problem is not null)
        {
            return (null, null, problem);
        }

        var (environments, missing) = await Lookups.OrgEnvironmentsAsync(grains, orgId, query!.EnvironmentIds);
        if (missing is not null)
        {
            return (null, null, missing);
        }

        var rows = await ledger.ReadRollupsAsync(
            new RollupQuery
            {
                EnvironmentIds = query.EnvironmentIds.IsEmpty ? environments : query.EnvironmentIds,
                Boundaries = [.. query.Boundaries.Skip(query.Position.Bucket)],
                Filters = query.Filters,
                GroupBy = query.GroupBy,
            },
            cancellationToken);
        var page = UsageReport.Build(query.Boundaries, rows, query.GroupBy, query.Position, query.Limit);
        return (query, View(orgId, query, page, asOf, settleAfter), null);
    }

    private static UsageView View(string orgId, UsageQuery query, UsagePage page, DateTimeOffset asOf, TimeSpan settleAfter) => new(
        orgId,
        WireFormat.Instant(query.StartingAt),
        WireFormat.Instant(query.EndingAt),
        BucketWidths.Name(query.Width),
        query.TimeZoneId,
        [.. query.GroupBy.Select(UsageDimensions.GroupName)],
        WireFormat.Instant(asOf),
        [.. page.Buckets.Select(bucket => new UsageBucketView(
            WireFormat.Instant(bucket.Start),
            WireFormat.Instant(bucket.End),
            asOf - bucket.End > settleAfter,
            [.. bucket.Results.Select(result => UsageResultView.From(result, query.GroupBy))]))],
        page.Next is not null,
        page.Next is { } next ? new UsagePageToken(query.Fingerprint, query.EndingAt, next).Encode() : null);
}
