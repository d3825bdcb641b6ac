using BudgetCluster.Silo.Admin.Models;

namespace BudgetCluster.Silo.Admin.Rerate;

/// <summary><c>POST /orgs/{org_id}/rerate</c> body: a window and the prices to re-rate its events with, per model id.</summary>
public sealed class RerateBody
{
    public string? StartingAt { get; set; }
    public string? EndingAt { get; set; }
    public Dictionary<string, PricingBody>? Prices { get; set; }
}
