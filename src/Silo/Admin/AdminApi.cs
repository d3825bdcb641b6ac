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

using Scalar.AspNetCore;

namespace BudgetCluster.Silo.Admin;

/// <summary>The admin surface on the admin listener: <c>/api/v1</c>, the OpenAPI document and its reference page <c>/docs</c>.</summary>
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
        // The API reference, a page for browsers: behind the dashboard's login like the dashboard.
        app.MapScalarApiReference("/docs", scalar => scalar
            .WithTitle("BudgetCluster admin API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
