namespace BudgetCluster.Silo.Admin.Models;

/// <summary><c>PUT /models/{model_id}</c> body.</summary>
public sealed class ModelBody
{
    public string? EnvironmentId { get; set; }
    public string? Name { get; set; }
    public string? ProviderKeyId { get; set; }
    public PricingBody? Pricing { get; set; }
    /// <summary>RFC 3339; from when <see cref="Pricing"/> is in force (API.md §9).</summary>
    public string? EffectiveFrom { get; set; }
}
