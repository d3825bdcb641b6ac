using BudgetCluster.Silo.Admin.ApiKeys;
using BudgetCluster.Silo.Admin.Budgets;
using BudgetCluster.Silo.Admin.Environments;
using BudgetCluster.Silo.Admin.Export;
using BudgetCluster.Silo.Admin.Gateways;
using BudgetCluster.Silo.Admin.Models;
using BudgetCluster.Silo.Admin.Orgs;
using BudgetCluster.Silo.Admin.Reconciliation;
using BudgetCluster.Silo.Admin.Rerate;
using BudgetCluster.Silo.Admin.Statements;
using BudgetCluster.Silo.Admin.Usage;
using BudgetCluster.Silo.Admin.Webhooks;

namespace BudgetCluster.Silo.Admin;

/// <summary>The admin surface on the admin listener: <c>/api/v1</c> and the OpenAPI document.</summary>
public static class AdminApi
{
    public static WebApplication MapAdminApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGroup("/api/v1")
            .WithTags("admin")
            .MapOrgsApi()
            .MapEnvironmentsApi()
            .MapApiKeysApi()
            .MapModelsApi()
            .MapGatewaysApi()
            .MapGatewayCertificatesApi()
            .MapBudgetsApi()
            .MapReconciliationApi()
            .MapExportApi()
            .MapUsageApi()
            .MapStatementsApi()
            .MapRerateApi()
            .MapWebhooksApi();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
