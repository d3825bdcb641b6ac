namespace BudgetCluster.Silo.Admin.Models;

/// <summary>A model as the admin API shows it; prices are decimal strings.</summary>
public sealed record ModelView(string ModelId, string EnvironmentId, string Name, string? ProviderKeyId, PricingView Pricing);
