namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>The wire names of <see cref="BucketWidth"/>: <c>1m</c>, <c>1h</c>, <c>1d</c>, <c>1w</c>, <c>1mo</c>.</summary>
public static class BucketWidths
{
    public const string Names = "1m, 1h, 1d, 1w, 1mo";

    public static string Name(BucketWidth width) => width switch
    {
        BucketWidth.Minute => "1m",
        BucketWidth.Hour => "1h",
        BucketWidth.Day => "1d",
        BucketWidth.Week => "1w",
        BucketWidth.Month => "1mo",
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, null),
    };

    public static BucketWidth? Parse(string name) =>
        Enum.GetValues<BucketWidth>().Cast<BucketWidth?>().FirstOrDefault(width => Name(width!.Value) == name);
}
