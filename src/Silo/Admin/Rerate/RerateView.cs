namespace BudgetCluster.Silo.Admin.Rerate;

/// <summary><c>POST /orgs/{org_id}/rerate</c> answer (API.md §9): per model and in total, stored spend, re-rated spend and the difference.</summary>
public sealed record RerateView(
    string OrgId, string StartingAt, string EndingAt, IReadOnlyList<RerateModelView> Models, string SpendUsd, string ReratedUsd, string DeltaUsd);
