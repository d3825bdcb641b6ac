using BudgetCluster.Grains.Usage;

namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>How API.md §6 names each <see cref="UsageDimension"/>: in <c>group_by</c>, as a result's field, as a filter.</summary>
public static class UsageDimensions
{
    /// <summary>Every dimension in the order of API.md §6.</summary>
    public static IReadOnlyList<UsageDimension> All { get; } = Enum.GetValues<UsageDimension>();

    /// <summary>The dimensions that have a filter (every one but the status class and the attempt kind).</summary>
    public static IReadOnlyList<UsageDimension> Filterable { get; } =
        [.. All.Where(dimension => dimension is not (UsageDimension.StatusClass or UsageDimension.AttemptKind))];

    /// <summary>The <c>group_by</c> value: <c>environment</c>, <c>gateway</c>, <c>api_key</c>, ...</summary>
    public static string GroupName(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Environment => "environment",
        UsageDimension.Gateway => "gateway",
        UsageDimension.ApiKey => "api_key",
        UsageDimension.Model => "model",
        UsageDimension.ProviderKey => "provider_key",
        UsageDimension.Team => "team",
        UsageDimension.Member => "member",
        UsageDimension.StatusClass => "status_class",
        UsageDimension.AttemptKind => "attempt_kind",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    /// <summary>The field of a result that carries the dimension's value, which is also its filter's name.</summary>
    public static string FieldName(UsageDimension dimension) => UsageDimensionNames.FieldName(dimension);

    public static UsageDimension? ParseGroup(string name) =>
        All.Cast<UsageDimension?>().FirstOrDefault(dimension => GroupName(dimension!.Value) == name);
}
