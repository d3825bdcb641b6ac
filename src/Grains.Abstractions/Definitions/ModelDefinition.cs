using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Definitions;

/// <summary>
/// A model that gateways of an environment route to, with its pricing. <see cref="Prices"/> is the
/// price timeline (API.md §9): every version, ordered by effective date, then version; an event is
/// priced by the version in force at its <c>occurred_at</c> (<see cref="PriceAt"/>), and every
/// ledger row records that version's number. <see cref="Pricing"/> and <see cref="PriceVersion"/>
/// are the version the last change wrote; a definition stored before price history had only them,
/// and reads as that one version in force since the beginning of time.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.model-definition")]
public sealed record ModelDefinition(
    [property: Id(0)] string EnvironmentId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ProviderKeyId,
    [property: Id(3)] ModelPricing Pricing,
    [property: Id(4)] int PriceVersion = 1)
{
    /// <summary>Ordered by <see cref="ModelPrice.EffectiveFrom"/>, then <see cref="ModelPrice.Version"/>; default or empty in a definition stored before price history.</summary>
    [Id(5)] public ImmutableArray<ModelPrice> Prices { get; init; }

    /// <summary>The timeline, with a definition stored before price history read as its one version.</summary>
    public ImmutableArray<ModelPrice> Timeline =>
        Prices.IsDefaultOrEmpty ? [new ModelPrice(PriceVersion, DateTimeOffset.MinValue, Pricing)] : Prices;

    /// <summary>
    /// The price in force at <paramref name="instant"/>: the version with the latest effective date
    /// not after it (of two with the same date, the later version), or null before the first.
    /// </summary>
    public ModelPrice? PriceAt(DateTimeOffset instant)
    {
        if (Prices.IsDefaultOrEmpty)
        {
            return new ModelPrice(PriceVersion, DateTimeOffset.MinValue, Pricing);
        }

        // A handful of versions at most in practice: from the newest date back.
        for (var i = Prices.Length - 1; i >= 0; i--)
        {
            if (Prices[i].EffectiveFrom <= instant)
            {
                return Prices[i];
            }
        }

        return null;
    }

    /// <summary>Equal when every field and every price version are (record equality would compare the array by reference).</summary>
    public bool Equals(ModelDefinition? other) =>
        other is not null
        && EnvironmentId == other.EnvironmentId && Name == other.Name && ProviderKeyId == other.ProviderKeyId
        && Pricing == other.Pricing && PriceVersion == other.PriceVersion
        && Timeline.SequenceEqual(other.Timeline);

    public override int GetHashCode() => HashCode.Combine(EnvironmentId, Name, ProviderKeyId, Pricing, PriceVersion);
}
