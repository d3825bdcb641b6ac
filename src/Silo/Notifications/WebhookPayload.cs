using System.Text.Json;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Grains.Notifications;
using BudgetCluster.TelemetryIngress.Budgets;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Notifications;

/// <summary>
/// A webhook's body (API.md §10): <c>{"type", "id", "timestamp", "data"}</c>, the data of a budget
/// event being the org, the budget's name and the fields of the data plane's server-sent event of
/// the same transition. Written from the stored message, so every attempt sends the same bytes.
/// </summary>
public static class WebhookPayload
{
    public static byte[] Write(string orgId, WebhookMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", message.Type);
            json.WriteString("id", message.EventId);
            json.WriteString("timestamp", WireFormat.Instant(message.OccurredAt));
            json.WriteStartObject("data");
            json.WriteString("org_id", orgId);
            if (message.Budget is { } budget)
            {
                WriteBudget(json, budget);
            }
            else
            {
                json.WriteString("webhook_id", message.WebhookId);
                json.WriteString("message", "a test event: the endpoint receives and verifies webhooks");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteBudget(Utf8JsonWriter json, BudgetNotification budget)
    {
        var status = budget.Status;
        json.WriteString("budget_id", status.BudgetId);
        json.WriteString("budget_name", status.Policy.Name);
        json.WriteString("scope", BudgetWire.Scope(status.Policy.Scope.Type));
        json.WriteString("scope_ref", status.Policy.Scope.Ref);
        json.WriteString("mode", BudgetWire.Mode(status.Policy.Mode));
        json.WriteString("limit_usd", WireFormat.Usd(status.Policy.LimitUsd));
        json.WriteString("spent_usd", WireFormat.Usd(status.SpentUsd));
        json.WriteString("period_start", WireFormat.Instant(status.PeriodStart));
        json.WriteString("period_resets_at", WireFormat.Instant(status.PeriodResetsAt));
        json.WriteBoolean("blocking", status.Blocking);
        json.WriteNumber("version", status.Version);
        json.WriteString("occurred_at", WireFormat.Instant(budget.OccurredAt));
        json.WriteString("state", BudgetWire.State(status.State));
        if (budget.Threshold is { } threshold)
        {
            json.WriteNumber("threshold", threshold);
        }

        if (budget.Type == WebhookEventTypes.Forecast)
        {
            json.WriteString("burn_rate_usd_per_hour", status.BurnRateUsdPerHour is { } rate ? WireFormat.Usd(Math.Round(rate, 6, MidpointRounding.AwayFromZero)) : null);
            json.WriteString("projected_exhaustion_at", WireFormat.Instant(status.ProjectedExhaustionAt));
        }
    }
}
