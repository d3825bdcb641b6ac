namespace BudgetCluster.Silo.Admin.Models;

/// <summary>
/// One version of a model's price (<c>GET /models/{id}/prices</c>): in force from <c>effective_from</c>
/// (null: since the beginning of time) until <c>effective_to</c> (null: until a later price is set).
/// A version superseded by one set for the same instant has <c>effective_to</c> equal to its
/// <c>effective_from</c>: it was never in force.
/// </summary>
public sealed record ModelPriceView(int Version, string? EffectiveFrom, string? EffectiveTo, PricingView Pricing);
