namespace BudgetCluster.Grains.Billing;

/// <summary>
/// One line of a statement: the usage of one environment, model and provider key in the period.
/// An absent model or provider key is <c>""</c> (shown as null).
/// </summary>
public sealed record StatementLine(
    string EnvironmentId,
    string ModelId,
    string ProviderKeyId,
    long Requests,
    long Attempts,
    long PromptTokens,
    long CompletionTokens,
    long CachedPromptTokens,
    long CacheCreationTokens,
    long CacheReadTokens,
    decimal SpendUsd,
    decimal CacheSavingsUsd);
