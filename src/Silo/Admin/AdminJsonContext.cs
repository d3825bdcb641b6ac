using System.Text.Json.Serialization;
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

/// <summary>Source-generated (de)serializers of every admin API body; snake_case on the wire.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(OrgBody))]
[JsonSerializable(typeof(OrgView))]
[JsonSerializable(typeof(EnvironmentBody))]
[JsonSerializable(typeof(EnvironmentView))]
[JsonSerializable(typeof(ApiKeyBody))]
[JsonSerializable(typeof(ApiKeyView))]
[JsonSerializable(typeof(ModelBody))]
[JsonSerializable(typeof(ModelView))]
[JsonSerializable(typeof(IReadOnlyList<ModelPriceView>))]
[JsonSerializable(typeof(CertificateBody))]
[JsonSerializable(typeof(CertificateView))]
[JsonSerializable(typeof(IReadOnlyList<CertificateListItemView>))]
[JsonSerializable(typeof(GatewayView))]
[JsonSerializable(typeof(IReadOnlyList<GatewayView>))]
[JsonSerializable(typeof(BudgetBody))]
[JsonSerializable(typeof(BudgetView))]
[JsonSerializable(typeof(IReadOnlyList<BudgetView>))]
[JsonSerializable(typeof(BudgetStatusView))]
[JsonSerializable(typeof(ReconciliationView))]
[JsonSerializable(typeof(ExportPageView))]
[JsonSerializable(typeof(ExportCursorView))]
[JsonSerializable(typeof(UsageView))]
[JsonSerializable(typeof(StatementListView))]
[JsonSerializable(typeof(RerateBody))]
[JsonSerializable(typeof(RerateView))]
[JsonSerializable(typeof(WebhookEndpointBody))]
[JsonSerializable(typeof(WebhookView))]
[JsonSerializable(typeof(WebhookListView))]
[JsonSerializable(typeof(WebhookDeliveriesView))]
[JsonSerializable(typeof(WebhookTestView))]
[JsonSerializable(typeof(ListView<OrgView>))]
[JsonSerializable(typeof(ListView<EnvironmentView>))]
[JsonSerializable(typeof(ListView<ModelView>))]
[JsonSerializable(typeof(ListView<ApiKeyView>))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
