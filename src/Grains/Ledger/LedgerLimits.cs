using System.Globalization;
using BudgetCluster.Grains.Budgets;

namespace BudgetCluster.Grains.Ledger;

/// <summary>
/// What a <see cref="LedgerEntry"/> must satisfy for every store to hold it, checked before it is
/// appended so that such an entry is rejected on its own instead of failing its append:
/// <list type="bullet">
/// <item>text (ids, request id, budget ids) has no NUL character, which PostgreSQL <c>text</c> refuses,
/// and no lone surrogate, which has no UTF-8 form;</item>
/// <item><c>occurred_at</c> and <c>received_at</c> lie in the years 2 to 9998 (UTC), where budget
/// periods (<see cref="PeriodCalendar"/>) and month partitions are defined;</item>
/// <item>money (<c>cost_usd</c>, <c>cache_savings_usd</c>) is within ±<see cref="MaxAmountUsd"/>, so
/// that the exact decimal sums of a budget or gateway cannot overflow.</item>
/// </list>
/// Integer columns are as wide as the entry's fields (bigint, integer), so no count can exceed them.
/// </summary>
public static class LedgerLimits
{
    /// <summary>
    /// The largest amount of one row: decimal holds 7.9 × 10^28, so even 10^13 rows at the limit
    /// sum without overflow.
    /// </summary>
    public const decimal MaxAmountUsd = 1_000_000_000_000_000m;

    /// <summary>Why <paramref name="entry"/> cannot be stored, or null when it can; allocates only for a reason.</summary>
    public static string? Check(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var reason = CheckText(entry.EnvironmentId, "environment_id")
            ?? CheckText(entry.RequestId, "request_id")
            ?? CheckText(entry.DpId, "dp_id")
            ?? CheckText(entry.ModelId, "model_id")
            ?? CheckText(entry.ApiKeyId, "api_key_id")
            ?? CheckText(entry.RequestedModel, "requested_model")
            ?? CheckText(entry.AttemptKind, "attempt_kind")
            ?? CheckText(entry.ErrorClass, "error_class")
            ?? CheckText(entry.CacheStatus, "cache_status")
            ?? CheckText(entry.ProviderKeyId, "provider_key_id")
            ?? CheckText(entry.TeamId, "team_id")
            ?? CheckText(entry.MemberId, "member_id")
            ?? CheckInstant(entry.OccurredAt, "occurred_at")
            ?? CheckInstant(entry.ReceivedAt, "received_at")
            ?? CheckAmount(entry.CostUsd, "cost_usd")
            ?? CheckAmount(entry.CacheSavingsUsd, "cache_savings_usd");
        if (reason is not null)
        {
            return reason;
        }

        foreach (var attribution in entry.Attributions)
        {
            if (CheckText(attribution.BudgetId, "budget_id") is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    private static string? CheckText(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.AsSpan();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return $"'{field}' contains a NUL character, which PostgreSQL text cannot hold";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"'{field}' contains a lone UTF-16 surrogate, which has no UTF-8 form";
            }
        }

        return null;
    }

    private static string? CheckInstant(DateTimeOffset instant, string field) =>
        instant < PeriodCalendar.EarliestInstant || instant > PeriodCalendar.LatestInstant
            ? string.Create(CultureInfo.InvariantCulture,
                $"'{field}' {instant.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} is outside the years 2 to 9998, where budget periods and ledger partitions are defined")
            : null;

    private static string? CheckAmount(decimal amount, string field) =>
        Math.Abs(amount) > MaxAmountUsd
            ? string.Create(CultureInfo.InvariantCulture, $"'{field}' {amount} is beyond ±{MaxAmountUsd} USD, which the ledger's sums can hold")
            : null;
}
