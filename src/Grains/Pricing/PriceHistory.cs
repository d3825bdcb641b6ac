using System.Collections.Immutable;
using BudgetCluster.Grains.Abstractions.Definitions;

namespace BudgetCluster.Grains.Pricing;

/// <summary>
/// How a model's price timeline changes (API.md §9). The rules:
/// <list type="bullet">
/// <item>A new model's first price is in force from <c>effective_from</c>, or, without one, since the
/// beginning of time; a model created again after a delete starts a new timeline, numbering its
/// versions on from the deleted one's.</item>
/// <item>A price set on an existing model is in force from <c>effective_from</c>, or, without one,
/// from now, until the next later version's date: setting a past date re-dates nothing already
/// stored (events keep the price they were priced with) and keeps a scheduled later change.</item>
/// <item>A version set at the same date as an existing one supersedes it: the older one stays in
/// the history, in force for no instant.</item>
/// <item>Setting the price already in force (without a date, the one in force now; with a date, the
/// version that starts exactly then) changes nothing, so a repeated PUT is idempotent.</item>
/// <item>Versions are numbered 1, 2, ... in the order they were set, whatever their dates.</item>
/// </list>
/// </summary>
public static class PriceHistory
{
    /// <summary>Versions one model keeps at most: its timeline rides in every gateway's catalog.</summary>
    public const int MaxVersions = 100;

    /// <summary>
    /// The definition to store: <paramref name="definition"/> with the timeline after setting its
    /// <see cref="ModelDefinition.Pricing"/>. Throws <see cref="DefinitionConflictException"/> past <see cref="MaxVersions"/>.
    /// </summary>
    /// <param name="previous">The stored definition, null when the model does not exist.</param>
    /// <param name="deletedVersion">The last version of a deleted model with this id, 0 when none was.</param>
    /// <param name="definition">The definition as the admin API received it.</param>
    /// <param name="effectiveFrom">From when its price is in force; null for the default (see the rules).</param>
    /// <param name="now">The time of the change.</param>
    public static ModelDefinition Put(
        ModelDefinition? previous, int deletedVersion, ModelDefinition definition, DateTimeOffset? effectiveFrom, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var pricing = definition.Pricing;
        if (previous is null)
        {
            var first = new ModelPrice(deletedVersion + 1, effectiveFrom ?? DateTimeOffset.MinValue, pricing);
            return definition with { PriceVersion = first.Version, Prices = [first] };
        }

        var timeline = previous.Timeline;
        var from = effectiveFrom ?? now;
        var inForce = previous.PriceAt(from);
        var unchanged = effectiveFrom is null
            ? inForce?.Pricing == pricing
            : inForce is not null && inForce.EffectiveFrom == from && inForce.Pricing == pricing;
        if (unchanged)
        {
            return definition with { Pricing = previous.Pricing, PriceVersion = previous.PriceVersion, Prices = timeline };
        }

        if (timeline.Length >= MaxVersions)
        {
            throw new DefinitionConflictException(
                $"the model has {timeline.Length} price versions, the most one model keeps: create a model under a new id for further prices");
        }

        var added = new ModelPrice(timeline.Max(price => price.Version) + 1, from, pricing);
        // After every version of the same or an earlier date: the new one supersedes a same-dated one.
        var at = timeline.Length;
        while (at > 0 && timeline[at - 1].EffectiveFrom > from)
        {
            at--;
        }

        return definition with { PriceVersion = added.Version, Prices = timeline.Insert(at, added) };
    }

    /// <summary>
    /// When the version at <paramref name="index"/> of <paramref name="timeline"/> stops being in force:
    /// the next version's date (its own date when a same-dated version superseded it), null when none follows.
    /// </summary>
    public static DateTimeOffset? EffectiveTo(ImmutableArray<ModelPrice> timeline, int index) =>
        index + 1 < timeline.Length ? timeline[index + 1].EffectiveFrom : null;
}
