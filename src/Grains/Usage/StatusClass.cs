namespace BudgetCluster.Grains.Usage;

/// <summary>
/// The classes of an attempt's status code that usage views group by (API.md §6): <c>2xx</c>,
/// <c>4xx</c> (without 429), <c>429</c>, <c>5xx</c> and <c>other</c> (no answer, 1xx, 3xx, ...).
/// </summary>
public static class StatusClass
{
    public const string Success = "2xx";
    public const string ClientError = "4xx";
    public const string TooManyRequests = "429";
    public const string ServerError = "5xx";
    public const string Other = "other";

    /// <summary>The error class AISIX reports for a request it answered 429 because of a budget.</summary>
    public const string BudgetErrorClass = "billing_error";

    public static IReadOnlyList<string> All { get; } = [Success, ClientError, TooManyRequests, ServerError, Other];

    public static string Of(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => Success,
        429 => TooManyRequests,
        >= 400 and < 500 => ClientError,
        >= 500 and < 600 => ServerError,
        _ => Other,
    };

    /// <summary>An attempt that failed: status 400 or above (<c>error_attempts</c>, the gateway's <c>usage.errors</c>).</summary>
    public static bool IsError(int statusCode) => statusCode >= 400;

    /// <summary>
    /// An attempt the gateway refused with 429 because a budget was exceeded, told apart from an
    /// upstream's 429 (rate limit) by AISIX's error class <c>billing_error</c>.
    /// </summary>
    public static bool IsBudgetDenied(int statusCode, string? errorClass) =>
        statusCode == 429 && string.Equals(errorClass, BudgetErrorClass, StringComparison.Ordinal);
}
