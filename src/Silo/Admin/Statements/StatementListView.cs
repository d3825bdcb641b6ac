namespace BudgetCluster.Silo.Admin.Statements;

/// <summary><c>GET /orgs/{org_id}/statements</c>: the org's statements, oldest first, and its billing time zone.</summary>
public sealed record StatementListView(string OrgId, string TimeZone, IReadOnlyList<StatementSummaryView> Data);
