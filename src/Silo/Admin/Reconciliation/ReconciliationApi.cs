using BudgetCluster.Grains.Abstractions.Budgets;
using BudgetCluster.Grains.Abstractions.Definitions;
using BudgetCluster.Grains.Abstractions.Gateways;
using BudgetCluster.Grains.Budgets;
using BudgetCluster.Grains.Ledger;
using BudgetCluster.TelemetryIngress.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace BudgetCluster.Silo.Admin.Reconciliation;

/// <summary>
/// <c>GET /api/v1/orgs/{org_id}/reconciliation</c>: proves invariant D2 on demand. Each budget's
/// current period is recomputed over the ledger (its scope's events, by the routing rule, from the
/// rollups: <see cref="BudgetScopeQuery"/>), not compared with what was routed to it; each gateway's
/// totals with its ledger rows. Live figures and ledger sums are read moments apart, so under active
/// ingest a small transient drift can show; a drift that stays on a quiet system is real.
/// </summary>
public static class ReconciliationApi
{
    public static RouteGroupBuilder MapReconciliationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/orgs/{org_id}/reconciliation", ReconcileAsync)
            .Produces<ReconciliationView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ReconcileAsync(
        [FromRoute(Name = "org_id")] string orgId, IGrainFactory grains, IUsageLedger ledger, TimeProvider time)
    {
        if (Ids.Check(orgId, "org_id") is { } badId)
        {
            return badId;
        }

        var org = grains.GetGrain<IOrgGrain>(orgId);
        if (await org.GetOrgAsync() is null)
        {
            return Problems.NotFound($"org '{orgId}' not found");
        }

        var environments = await org.ListEnvironmentsAsync();
        var budgets = new List<BudgetDriftView>();
        foreach (var budget in await org.ListBudgetsAsync())
        {
            if (await grains.GetGrain<IBudgetGrain>(budget.BudgetId).GetBudgetStatusAsync() is not { } status
                || BudgetScopeQuery.For(status.Policy.Scope, environments, new PeriodWindow(status.PeriodStart, status.PeriodResetsAt)) is not { } scope)
            {
                continue;
            }

            var fromLedger = (await ledger.SumScopeAsync(scope, budget.BudgetId, status.PeriodStart)).InScopeUsd;
            budgets.Add(new BudgetDriftView(
                budget.BudgetId, WireFormat.Instant(status.PeriodStart), WireFormat.Usd(status.SpentUsd),
                WireFormat.Usd(fromLedger), WireFormat.Usd(status.SpentUsd - fromLedger)));
        }

        var gateways = new List<GatewayDriftView>();
        foreach (var environmentId in environments)
        {
            foreach (var dpId in await grains.GetGrain<IEnvironmentGrain>(environmentId).ListGatewaysAsync())
            {
                var detail = await grains.GetGrain<IGatewayGrain>(GatewayKey.Format(environmentId, dpId)).GetGatewayDetailAsync();
                var (events, spend) = await ledger.SumGatewayAsync(environmentId, dpId);
                gateways.Add(new GatewayDriftView(
                    environmentId, dpId, detail.Telemetry.EventsAccepted, events, WireFormat.Usd(detail.Usage.SpendUsd),
                    WireFormat.Usd(spend), WireFormat.Usd(detail.Usage.SpendUsd - spend)));
            }
        }

        var drift = budgets.Any(b => b.LiveSpentUsd != b.LedgerSpentUsd)
            || gateways.Any(g => g.LiveEvents != g.LedgerEvents || g.LiveSpendUsd != g.LedgerSpendUsd);
        var view = new ReconciliationView(orgId, WireFormat.Instant(time.GetUtcNow()), drift, budgets, gateways);
        return TypedResults.Json(view, AdminJsonContext.Default.ReconciliationView);
    }
}
