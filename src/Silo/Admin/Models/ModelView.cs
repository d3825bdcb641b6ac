namespace BudgetCluster.Silo.Admin.Models;

/// <summary>
/// A model as the admin API shows it, with the price in force now (the earliest one when none is
/// yet): its <c>pricing</c> (decimal strings), <c>price_version</c> and <c>effective_from</c>
/// (null: since the beginning of time). The whole timeline is <c>GET /models/{id}/prices</c>.
/// </summary>
public sealed record ModelView(
    string ModelId, string EnvironmentId, string Name, string? ProviderKeyId, PricingView Pricing, int PriceVersion, string? EffectiveFrom);
