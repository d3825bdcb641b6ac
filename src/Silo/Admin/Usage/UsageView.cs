namespace BudgetCluster.Silo.Admin.Usage;

/// <summary>The answer of <c>GET /orgs/{org_id}/usage</c> (API.md §6): the query as resolved, the page's buckets and where the next page starts.</summary>
public sealed record UsageView(
    string OrgId,
    string StartingAt,
    string EndingAt,
    string BucketWidth,
    string TimeZone,
    IReadOnlyList<string> GroupBy,
    string AsOf,
    IReadOnlyList<UsageBucketView> Data,
    bool HasMore,
    string? NextPage);
