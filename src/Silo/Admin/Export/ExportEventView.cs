using BudgetCluster.Grains.Ledger;
using BudgetCluster.TelemetryIngress.Hosting;

namespace BudgetCluster.Silo.Admin.Export;

/// <summary>
/// One accepted event as the export writes it (API.md §7): what the gateway sent, what the cluster
/// knew at ingest (provider key, team, member, price version) and what it computed (cost, savings).
/// Money is a decimal string, instants RFC 3339 UTC; an absent value is null (an empty
/// <c>model_id</c> or <c>api_key_id</c> too, as in the usage view).
/// </summary>
public sealed record ExportEventView(
    string EnvironmentId,
    string DpId,
    string RequestId,
    int AttemptIndex,
    string OccurredAt,
    string ReceivedAt,
    string? ModelId,
    string? RequestedModel,
    string? ApiKeyId,
    string? ProviderKeyId,
    string? TeamId,
    string? MemberId,
    long PromptTokens,
    long CompletionTokens,
    long CachedPromptTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    long ReasoningTokens,
    int StatusCode,
    string? ErrorClass,
    string? AttemptKind,
    string? CacheStatus,
    bool GuardrailBlocked,
    long UpstreamLatencyMs,
    long? UpstreamTtftMs,
    long? DownstreamLatencyMs,
    string CostUsd,
    string CacheSavingsUsd,
    bool Unpriced,
    int? PriceVersion)
{
    public static ExportEventView From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new ExportEventView(
            entry.EnvironmentId,
            entry.DpId,
            entry.RequestId,
            entry.AttemptIndex,
            WireFormat.Instant(entry.OccurredAt),
            WireFormat.Instant(entry.ReceivedAt),
            NullIfEmpty(entry.ModelId),
            entry.RequestedModel,
            NullIfEmpty(entry.ApiKeyId),
            entry.ProviderKeyId,
            entry.TeamId,
            entry.MemberId,
            entry.PromptTokens,
            entry.CompletionTokens,
            entry.CachedPromptTokens,
            entry.CacheCreationTokens,
            entry.CacheReadTokens,
            entry.ReasoningTokens,
            entry.StatusCode,
            entry.ErrorClass,
            entry.AttemptKind,
            entry.CacheStatus,
            entry.GuardrailBlocked,
            entry.UpstreamLatencyMs,
            entry.UpstreamTtftMs,
            entry.DownstreamLatencyMs,
            WireFormat.Usd(entry.CostUsd),
            WireFormat.Usd(entry.CacheSavingsUsd),
            entry.Unpriced,
            entry.PriceVersion);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
