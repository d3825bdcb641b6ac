using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Notifications;
using BudgetCluster.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// An org's webhook endpoints and deliveries (API.md §10). State (<see cref="WebhooksState"/>):
/// endpoints with their secrets and latest attempts, the delivery queue and, per budget, the last
/// transition version taken; written before every call that changes it returns and after every
/// round of attempts, so a queued delivery survives any crash and leaves the queue only after a 2xx
/// (or when its 3 days of retries are over). An attempt whose outcome was not yet written when the
/// silo died is made again: receivers deduplicate on <c>webhook-id</c>.
/// <para>
/// Deliveries go out from a timer every second that interleaves with calls (an attempt may take
/// its 10 s timeout; taking transitions or answering the admin API never waits for one); writes of
/// the state are taken one at a time. A silo's sweep (<see cref="WakeAsync"/>) reactivates a grain
/// whose silo died with deliveries still queued.
/// </para>
/// </summary>
[GrainType("webhooks")]
internal sealed partial class WebhooksGrain(
    [PersistentState("webhooks", GrainStorageNames.Default)] IPersistentState<WebhooksState> state,
    IWebhookSender sender,
    TimeProvider time,
    ILogger<WebhooksGrain> logger)
    : Grain, IWebhooksGrain
{
    /// <summary>Attempts kept per endpoint for <c>/deliveries</c>.</summary>
    public const int AttemptsKept = 100;

    /// <summary>Endpoints an org may have: every transition is queued once for each.</summary>
    public const int MaxEndpoints = 20;

    private static readonly TimeSpan SecretOverlap = TimeSpan.FromHours(24);
    private static readonly TimeSpan ForecastsKept = TimeSpan.FromDays(40);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private const int MostInFlight = 32;

    /// <summary>The last write started: the next one waits for it.</summary>
    private Task _lastWrite = Task.CompletedTask;
    private IGrainTimer? _timer;
    private bool _delivering;

    private WebhooksState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ArmTimer();
        return Task.CompletedTask;
    }

    public async Task<WebhookPutResult> PutWebhookAsync(string webhookId, WebhookPut put)
    {
        ArgumentNullException.ThrowIfNull(put);
        var events = put.Events.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        string? secret = null;
        if (!S.Endpoints.ContainsKey(webhookId) && S.Endpoints.Count >= MaxEndpoints)
        {
            throw new DefinitionConflictException(
                $"the org has {S.Endpoints.Count} webhook endpoints, the most it may have: every event goes to each of them");
        }

        if (S.Endpoints.TryGetValue(webhookId, out var stored))
        {
            stored.Endpoint = stored.Endpoint with { Url = put.Url, Events = events, Enabled = put.Enabled };
        }
        else
        {
            secret = WebhookSecret.Generate();
            stored = new StoredEndpoint
            {
                Endpoint = new WebhookEndpoint(webhookId, put.Url, events, put.Enabled, time.GetUtcNow(), null),
                Secret = secret,
            };
            S.Endpoints[webhookId] = stored;
        }

        await WriteAsync();
        return new WebhookPutResult(Current(stored), secret);
    }

    public Task<WebhookEndpoint?> GetWebhookAsync(string webhookId) =>
        Task.FromResult(S.Endpoints.TryGetValue(webhookId, out var stored) ? Current(stored) : null);

    public Task<ImmutableArray<WebhookEndpoint>> ListWebhooksAsync() =>
        Task.FromResult(S.Endpoints.Values.Select(Current).ToImmutableArray());

    /// <summary>The endpoint, with the previous secret forgotten once its 24 h are over (stored with the next write).</summary>
    private WebhookEndpoint Current(StoredEndpoint stored)
    {
        if (stored.Endpoint.PreviousSecretExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            stored.PreviousSecret = null;
            stored.Endpoint = stored.Endpoint with { PreviousSecretExpiresAt = null };
        }

        return stored.Endpoint;
    }

    public async Task<bool> DeleteWebhookAsync(string webhookId)
    {
        if (!S.Endpoints.Remove(webhookId))
        {
            return false;
        }

        S.Queue.RemoveAll(delivery => delivery.EndpointId == webhookId);
        await WriteAsync();
        return true;
    }

    public async Task<WebhookPutResult?> RotateSecretAsync(string webhookId)
    {
        if (!S.Endpoints.TryGetValue(webhookId, out var stored))
        {
            return null;
        }

        var secret = WebhookSecret.Generate();
        stored.PreviousSecret = stored.Secret;
        stored.Secret = secret;
        stored.Endpoint = stored.Endpoint with { PreviousSecretExpiresAt = time.GetUtcNow() + SecretOverlap };
        await WriteAsync();
        return new WebhookPutResult(stored.Endpoint, secret);
    }

    public async Task<string?> SendTestAsync(string webhookId)
    {
        if (!S.Endpoints.ContainsKey(webhookId))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var eventId = FormattableString.Invariant($"evt_test_{webhookId}_{++S.TestEvents}");
        S.Queue.Add(new PendingDelivery(webhookId, new WebhookMessage(eventId, WebhookEventTypes.Test, now, null, webhookId), 0, null, now));
        await WriteAsync();
        ArmTimer();
        return eventId;
    }

    public Task<ImmutableArray<WebhookAttempt>?> ListDeliveriesAsync(string webhookId) =>
        Task.FromResult(S.Endpoints.TryGetValue(webhookId, out var stored)
            ? (ImmutableArray<WebhookAttempt>?)[.. Enumerable.Reverse(stored.Attempts)]
            : null);

    public async Task EnqueueAsync(ImmutableArray<BudgetNotification> notifications)
    {
        var now = time.GetUtcNow();
        var changed = false;
        foreach (var stale in S.Forecasts.Where(pair => pair.Value < now - ForecastsKept).Select(pair => pair.Key).ToList())
        {
            S.Forecasts.Remove(stale);
        }

        foreach (var notification in notifications.OrderBy(n => n.Status.Version))
        {
            var budgetId = notification.Status.BudgetId;
            if (notification.Type == WebhookEventTypes.Forecast)
            {
                // Not a transition: no version of its own, one per budget and period, by its id.
                if (!S.Forecasts.TryAdd(notification.EventId, now))
                {
                    continue;
                }
            }
            else if (notification.Status.Version <= S.BudgetVersions.GetValueOrDefault(budgetId))
            {
                continue;
            }
            else
            {
                S.BudgetVersions[budgetId] = notification.Status.Version;
            }

            changed = true;
            var message = new WebhookMessage(notification.EventId, notification.Type, notification.OccurredAt, notification, null);
            foreach (var stored in S.Endpoints.Values.Where(stored => stored.Endpoint.Enabled && stored.Endpoint.Events.Contains(notification.Type)))
            {
                S.Queue.Add(new PendingDelivery(stored.Endpoint.Id, message, 0, null, now));
            }
        }

        foreach (var (budgetId, version) in notifications.GroupBy(n => n.Status.BudgetId).Select(g => (g.Key, g.Max(n => n.Status.Version))))
        {
            if (S.Expected.TryGetValue(budgetId, out var expected) && expected <= version)
            {
                S.Expected.Remove(budgetId);
                changed = true;
            }
        }

        if (changed)
        {
            await WriteAsync();
            ArmTimer();
        }
    }

    public async Task ExpectAsync(string budgetId, long version)
    {
        if (S.Expected.GetValueOrDefault(budgetId, long.MinValue) < version)
        {
            S.Expected[budgetId] = version;
            await WriteAsync();
        }
    }

    public Task<ImmutableArray<string>> ListExpectedAsync() => Task.FromResult(S.Expected.Keys.Order(StringComparer.Ordinal).ToImmutableArray());

    public async Task SettleExpectedAsync(string budgetId, long version)
    {
        if (S.Expected.TryGetValue(budgetId, out var expected) && expected <= version)
        {
            S.Expected.Remove(budgetId);
            await WriteAsync();
        }
    }

    public Task WakeAsync()
    {
        ArmTimer();
        return Task.CompletedTask;
    }

    /// <summary>While deliveries are queued, a timer every second that keeps the grain active; none otherwise.</summary>
    private void ArmTimer()
    {
        if (S.Queue.Count == 0 || _timer is not null)
        {
            return;
        }

        _timer = this.RegisterGrainTimer(
            static (grain, cancellation) => grain.DeliverDueAsync(cancellation),
            this,
            new GrainTimerCreationOptions(TimeSpan.Zero, Tick) { Interleave = true, KeepAlive = true });
    }

    /// <summary>One round: every due delivery whose earlier transitions of the same budget are out, at once; then their outcomes, written together.</summary>
    private async Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        if (_delivering)
        {
            return;
        }

        if (S.Queue.Count == 0)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }

        _delivering = true;
        try
        {
            var now = time.GetUtcNow();
            var due = Due(now);
            if (due.Count == 0)
            {
                return;
            }

            var outcomes = await Task.WhenAll(due.Select(async delivery =>
            {
                var outcome = await SendAsync(delivery, cancellationToken);
                return (delivery, outcome, At: time.GetUtcNow());
            }));
            if (cancellationToken.IsCancellationRequested)
            {
                // The grain is going away: what was cut short is no attempt; the next activation sends it again.
                return;
            }

            foreach (var (delivery, outcome, at) in outcomes)
            {
                Record(delivery, outcome, at);
            }

            await WriteAsync();
        }
        finally
        {
            _delivering = false;
        }
    }

    /// <summary>
    /// The deliveries due at <paramref name="now"/>, at most <see cref="MostInFlight"/>; of one
    /// budget's transitions to one endpoint only the lowest version, so they arrive in order.
    /// </summary>
    private List<PendingDelivery> Due(DateTimeOffset now)
    {
        // An endpoint disabled or no longer subscribed to a type since it was queued gets no more of it.
        S.Queue.RemoveAll(delivery => delivery.Message.Type != WebhookEventTypes.Test
            && (!S.Endpoints.TryGetValue(delivery.EndpointId, out var stored)
                || !stored.Endpoint.Enabled || !stored.Endpoint.Events.Contains(delivery.Message.Type)));
        var blocked = new HashSet<(string Endpoint, string Budget)>();
        var due = new List<PendingDelivery>();
        foreach (var delivery in S.Queue.OrderBy(d => d.Message.Budget?.Status.Version ?? 0))
        {
            if (delivery.Message.Budget is { } budget && !blocked.Add((delivery.EndpointId, budget.Status.BudgetId)))
            {
                continue;
            }

            if (delivery.NextAttemptAt <= now && due.Count < MostInFlight)
            {
                due.Add(delivery);
            }
        }

        return due;
    }

    private async Task<SendOutcome> SendAsync(PendingDelivery delivery, CancellationToken cancellationToken)
    {
        if (!S.Endpoints.TryGetValue(delivery.EndpointId, out var stored))
        {
            return new SendOutcome(false, null, "the endpoint was deleted");
        }

        List<byte[]> keys = [WebhookSecret.Key(stored.Secret)];
        Current(stored);
        if (stored.PreviousSecret is { } previous)
        {
            keys.Add(WebhookSecret.Key(previous));
        }

        try
        {
            return await sender.SendAsync(this.GetPrimaryKeyString(), stored.Endpoint.Url, keys, delivery.Message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new SendOutcome(false, null, ex.Message);
        }
    }

    /// <summary>Takes an attempt's outcome: out of the queue when delivered or out of retries, else rescheduled; logged on the endpoint.</summary>
    private void Record(PendingDelivery delivery, SendOutcome outcome, DateTimeOffset at)
    {
        var index = S.Queue.FindIndex(d => d.EndpointId == delivery.EndpointId && d.Message.EventId == delivery.Message.EventId);
        if (index < 0 || !S.Endpoints.TryGetValue(delivery.EndpointId, out var stored))
        {
            // Deleted with its endpoint while the attempt was out.
            return;
        }

        var attempt = delivery.FailedAttempts + 1;
        var first = delivery.FirstAttemptAt ?? at;
        DateTimeOffset? next = null;
        if (outcome.Delivered)
        {
            S.Queue.RemoveAt(index);
            NotificationMetrics.Attempted(NotificationMetrics.Delivered);
        }
        else if (DeliverySchedule.Next(first, attempt, at) is { } retry)
        {
            next = retry;
            S.Queue[index] = delivery with { FailedAttempts = attempt, FirstAttemptAt = first, NextAttemptAt = retry };
            NotificationMetrics.Attempted(NotificationMetrics.Retrying);
        }
        else
        {
            S.Queue.RemoveAt(index);
            NotificationMetrics.Attempted(NotificationMetrics.Failed);
            LogFailed(logger, this.GetPrimaryKeyString(), delivery.EndpointId, delivery.Message.EventId, attempt, outcome.Error ?? $"HTTP {outcome.StatusCode}");
        }

        if (!outcome.Delivered)
        {
            LogAttemptFailed(logger, this.GetPrimaryKeyString(), delivery.EndpointId, delivery.Message.EventId, attempt, outcome.StatusCode, outcome.Error);
        }

        stored.Attempts.Add(new WebhookAttempt(
            delivery.Message.EventId, delivery.Message.Type, attempt, outcome.StatusCode, outcome.Error, at, outcome.Delivered ? at : null, next));
        if (stored.Attempts.Count > AttemptsKept)
        {
            stored.Attempts.RemoveRange(0, stored.Attempts.Count - AttemptsKept);
        }
    }

    /// <summary>
    /// One write at a time (the delivery timer interleaves with calls, and two writes in flight
    /// would conflict on the ETag): each starts after the one before, whatever became of it.
    /// </summary>
    private Task WriteAsync()
    {
        var previous = _lastWrite;
        _lastWrite = WriteAfterAsync(previous);
        return _lastWrite;
    }

    private async Task WriteAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // That write's caller saw its failure; this one writes the state as it is now.
        }

        await state.WriteOrResetAsync(this);
    }

    [LoggerMessage(7001, LogLevel.Warning, "Webhook {OrgId}/{WebhookId}: attempt {Attempt} of {EventId} failed (status {StatusCode}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string orgId, string webhookId, string eventId, int attempt, int? statusCode, string? error);

    [LoggerMessage(7002, LogLevel.Error, "Webhook {OrgId}/{WebhookId}: {EventId} failed for good after {Attempts} attempts over 3 days: {Error}")]
    private static partial void LogFailed(ILogger logger, string orgId, string webhookId, string eventId, int attempts, string error);
}
