using System.Globalization;
using System.Text;
using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>
/// A usage view page as CSV (<c>text/csv</c>, RFC 4180): a header row, then one row per (bucket,
/// result) with the fields of the JSON: the bucket's <c>starting_at</c>, <c>ending_at</c> and
/// <c>settled</c>, the <c>group_by</c> ids, the sums, and latency flattened to
/// <c>upstream_latency_ms_avg</c>, <c>_p50</c>, <c>_p95</c>, <c>_max</c>, <c>ttft_ms_avg</c>,
/// <c>ttft_ms_p95</c>. A null is an empty field; an empty bucket has no row. Paging is in the
/// headers <see cref="HasMoreHeader"/> and <see cref="NextPageHeader"/>. Written by hand: every
/// field is a number, an instant, a boolean or an id, and only ids need RFC 4180's quoting.
/// </summary>
public sealed class UsageCsvResult(UsageView view, IReadOnlyList<UsageDimension> groupBy) : IResult
{
    public const string MediaType = "text/csv";
    public const string HasMoreHeader = "X-Has-More";
    public const string NextPageHeader = "X-Next-Page";

    private static readonly (string Name, Func<UsageResultView, string?> Value)[] Sums =
    [
        ("requests", result => Number(result.Requests)),
        ("attempts", result => Number(result.Attempts)),
        ("prompt_tokens", result => Number(result.PromptTokens)),
        ("completion_tokens", result => Number(result.CompletionTokens)),
        ("cached_prompt_tokens", result => Number(result.CachedPromptTokens)),
        ("cache_creation_tokens", result => Number(result.CacheCreationTokens)),
        ("cache_read_tokens", result => Number(result.CacheReadTokens)),
        ("reasoning_tokens", result => Number(result.ReasoningTokens)),
        ("spend_usd", result => result.SpendUsd),
        ("cache_savings_usd", result => result.CacheSavingsUsd),
        ("cache_hits", result => Number(result.CacheHits)),
        ("unpriced_attempts", result => Number(result.UnpricedAttempts)),
        ("error_attempts", result => Number(result.ErrorAttempts)),
        ("budget_denied", result => Number(result.BudgetDenied)),
        ("upstream_latency_ms_avg", result => Number(result.UpstreamLatencyMs.Avg)),
        ("upstream_latency_ms_p50", result => Number(result.UpstreamLatencyMs.P50)),
        ("upstream_latency_ms_p95", result => Number(result.UpstreamLatencyMs.P95)),
        ("upstream_latency_ms_max", result => Number(result.UpstreamLatencyMs.Max)),
        ("ttft_ms_avg", result => Number(result.TtftMs.Avg)),
        ("ttft_ms_p95", result => Number(result.TtftMs.P95)),
    ];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType + "; charset=utf-8";
        response.Headers[HasMoreHeader] = view.HasMore ? "true" : "false";
        if (view.NextPage is not null)
        {
            response.Headers[NextPageHeader] = view.NextPage;
        }

        await response.WriteAsync(Text(), httpContext.RequestAborted);
    }

    /// <summary>The whole CSV text of the page.</summary>
    public string Text()
    {
        var csv = new StringBuilder();
        Row(csv, ["starting_at", "ending_at", "settled", .. groupBy.Select(UsageDimensions.FieldName), .. Sums.Select(sum => sum.Name)]);
        foreach (var bucket in view.Data)
        {
            foreach (var result in bucket.Results)
            {
                Row(csv, [
                    bucket.StartingAt, bucket.EndingAt, bucket.Settled ? "true" : "false",
                    .. result.Key.Values, .. Sums.Select(sum => sum.Value(result))]);
            }
        }

        return csv.ToString();
    }

    private static void Row(StringBuilder csv, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                csv.Append(',');
            }

            var field = fields[i] ?? "";
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(field);
            }
        }

        csv.Append("\r\n");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Number(double? value) => value?.ToString(CultureInfo.InvariantCulture);
}
