using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Silo.Notifications;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace BudgetCluster.Silo.Admin.Webhooks;

/// <summary><c>/api/v1/orgs/{org_id}/webhooks</c> (API.md §10): the endpoints that budget owners receive budget events at.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        api.MapPut("/orgs/{org_id}/webhooks/{webhook_id}", PutAsync)
            .Accepts<WebhookEndpointBody>("application/json")
            .Produces<WebhookView>(StatusCodes.Status201Created)
            .Produces<WebhookView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/orgs/{org_id}/webhooks/{webhook_id}", GetAsync)
            .Produces<WebhookView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/orgs/{org_id}/webhooks", ListAsync)
            .Produces<WebhookListView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/orgs/{org_id}/webhooks/{webhook_id}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret", RotateAsync)
            .Produces<WebhookView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/orgs/{org_id}/webhooks/{webhook_id}/test", TestAsync)
            .Produces<WebhookTestView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/orgs/{org_id}/webhooks/{webhook_id}/deliveries", DeliveriesAsync)
            .Produces<WebhookDeliveriesView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> PutAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, HttpRequest request,
        IGrainFactory grains, IOptions<WebhookOptions> options)
    {
        if ((Ids.Check(orgId, "org_id") ?? Ids.Check(webhookId, "webhook_id")) is { } badId)
        {
            return badId;
        }

        var (body, problem) = await AdminBody.ReadAsync(request, AdminJsonContext.Default.WebhookEndpointBody);
        if (problem is not null)
        {
            return problem;
        }

        if (WebhookUrl.Problem(body!.Url, options.Value) is { } badUrl)
        {
            return Problems.BadRequest(badUrl);
        }

        if (body.Events is not { Count: > 0 } events)
        {
            return Problems.BadRequest($"missing required field 'events': a non-empty array of {string.Join(", ", WebhookEventTypes.Subscribable)}");
        }

        if (events.Any(type => type is null || !WebhookEventTypes.Subscribable.Contains(type)))
        {
            var unknown = events.First(type => type is null || !WebhookEventTypes.Subscribable.Contains(type));
            return Problems.BadRequest($"'events' has '{unknown}': each must be one of {string.Join(", ", WebhookEventTypes.Subscribable)}");
        }

        if (await OrgMissingAsync(grains, orgId) is { } missing)
        {
            return missing;
        }

        var result = await grains.GetGrain<IWebhooksGrain>(orgId)
            .PutWebhookAsync(webhookId, new WebhookPut(body.Url!, [.. events.Select(type => type!)], body.Enabled ?? true));
        var view = View(result.Endpoint, result.Secret);
        return result.Secret is null
            ? TypedResults.Json(view, AdminJsonContext.Default.WebhookView)
            : TypedResults.Json(view, AdminJsonContext.Default.WebhookView, statusCode: StatusCodes.Status201Created);
    }

    private static Task<IResult> GetAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, IGrainFactory grains) =>
        AnswerAsync(orgId, webhookId, grains, async hooks => await hooks.GetWebhookAsync(webhookId) is { } endpoint
            ? TypedResults.Json(View(endpoint, null), AdminJsonContext.Default.WebhookView)
            : null);

    private static async Task<IResult> ListAsync([FromRoute(Name = "org_id")] string orgId, IGrainFactory grains)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        if (await OrgMissingAsync(grains, orgId) is { } missing)
        {
            return missing;
        }

        var endpoints = await grains.GetGrain<IWebhooksGrain>(orgId).ListWebhooksAsync();
        return TypedResults.Json(new WebhookListView([.. endpoints.Select(endpoint => View(endpoint, null))]), AdminJsonContext.Default.WebhookListView);
    }

    private static Task<IResult> DeleteAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, IGrainFactory grains) =>
        AnswerAsync(orgId, webhookId, grains, async hooks => await hooks.DeleteWebhookAsync(webhookId) ? TypedResults.NoContent() : null);

    private static Task<IResult> RotateAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, IGrainFactory grains) =>
        AnswerAsync(orgId, webhookId, grains, async hooks => await hooks.RotateSecretAsync(webhookId) is { } rotated
            ? TypedResults.Json(View(rotated.Endpoint, rotated.Secret), AdminJsonContext.Default.WebhookView)
            : null);

    private static Task<IResult> TestAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, IGrainFactory grains) =>
        AnswerAsync(orgId, webhookId, grains, async hooks => await hooks.SendTestAsync(webhookId) is { } eventId
            ? TypedResults.Json(new WebhookTestView(eventId), AdminJsonContext.Default.WebhookTestView, statusCode: StatusCodes.Status202Accepted)
            : null);

    private static Task<IResult> DeliveriesAsync(
        [FromRoute(Name = "org_id")] string orgId, [FromRoute(Name = "webhook_id")] string webhookId, IGrainFactory grains) =>
        AnswerAsync(orgId, webhookId, grains, async hooks => await hooks.ListDeliveriesAsync(webhookId) is { } attempts
            ? TypedResults.Json(new WebhookDeliveriesView([.. attempts.Select(View)]), AdminJsonContext.Default.WebhookDeliveriesView)
            : null);

    /// <summary>Checks the ids and the org, then asks the org's webhooks grain; a null answer is the endpoint's 404.</summary>
    private static async Task<IResult> AnswerAsync(string orgId, string webhookId, IGrainFactory grains, Func<IWebhooksGrain, Task<IResult?>> ask)
    {
        if ((Ids.Check(orgId, "org_id") ?? Ids.Check(webhookId, "webhook_id")) is { } badId)
        {
            return badId;
        }

        if (await OrgMissingAsync(grains, orgId) is { } missing)
        {
            return missing;
        }

        return await ask(grains.GetGrain<IWebhooksGrain>(orgId)) ?? Problems.NotFound($"webhook '{webhookId}' of org '{orgId}' not found");
    }

    private static async Task<IResult?> OrgMissingAsync(IGrainFactory grains, string orgId) =>
        await grains.GetGrain<IOrgGrain>(orgId).GetOrgAsync() is null ? Problems.NotFound($"org '{orgId}' not found") : null;

    private static WebhookView View(WebhookEndpoint endpoint, string? secret) => new(
        endpoint.Id, endpoint.Url, endpoint.Events, endpoint.Enabled, WireFormat.Instant(endpoint.CreatedAt),
        WireFormat.Instant(endpoint.PreviousSecretExpiresAt), secret);

    private static WebhookAttemptView View(WebhookAttempt attempt) => new(
        attempt.EventId, attempt.Type, attempt.Attempt, attempt.StatusCode, attempt.Error, WireFormat.Instant(attempt.AttemptedAt),
        WireFormat.Instant(attempt.DeliveredAt), WireFormat.Instant(attempt.NextAttemptAt));
}
