namespace BudgetCluster.Silo.Admin;

/// <summary>A page of a list sorted by id: <c>{"data": [...], "has_more", "next_page"}</c>.</summary>
public sealed record ListView<T>(IReadOnlyList<T> Data, bool HasMore, string? NextPage);
