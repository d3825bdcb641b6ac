using System.Text.Json.Serialization;

namespace BudgetCluster.Silo.Admin.Budgets;

/// <summary><c>POST /budgets</c> and <c>PUT /budgets/{id}</c> body.</summary>
public sealed class BudgetBody
{
    public string? OrgId { get; set; }
    public string? Name { get; set; }
    public BudgetScopeBody? Scope { get; set; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? LimitUsd { get; set; }

    public string? Period { get; set; }
    public string? Mode { get; set; }
    public string? Timezone { get; set; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public List<decimal>? Thresholds { get; set; }
}
