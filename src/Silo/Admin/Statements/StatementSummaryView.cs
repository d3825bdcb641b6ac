namespace BudgetCluster.Silo.Admin.Statements;

/// <summary>One statement of <c>GET /orgs/{org_id}/statements</c>: its month, status, window and total; the hash once closed.</summary>
public sealed record StatementSummaryView(
    string Period, string Status, string StartingAt, string EndingAt, string? ClosedAt, string TotalUsd, string? ContentSha256);
