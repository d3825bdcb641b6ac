using System.Collections.Immutable;

namespace BudgetCluster.Grains.Abstractions.Budgets;

/// <summary>A budget as its owner defines it. Thresholds are fractions of the limit in (0, 1], strictly increasing.</summary>
[GenerateSerializer, Immutable]
[Alias("budgetcluster.budget-policy")]
public sealed record BudgetPolicy
{
    [Id(0)] public required string OrgId { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required BudgetScope Scope { get; init; }
    [Id(3)] public required decimal LimitUsd { get; init; }
    [Id(4)] public required BudgetPeriod Period { get; init; }
    [Id(5)] public required BudgetMode Mode { get; init; }
    /// <summary>IANA time zone id.</summary>
    [Id(6)] public required string TimeZone { get; init; }
    [Id(7)] public required ImmutableArray<decimal> Thresholds { get; init; }

    public bool Equals(BudgetPolicy? other) =>
        other is not null
        && OrgId == other.OrgId && Name == other.Name && Scope == other.Scope && LimitUsd == other.LimitUsd
        && Period == other.Period && Mode == other.Mode && TimeZone == other.TimeZone
        && Thresholds.SequenceEqual(other.Thresholds);

    public override int GetHashCode() => HashCode.Combine(OrgId, Name, Scope, LimitUsd, Period, Mode, TimeZone);
}
